using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.MLNet;
using Backprop.MLNet.Training;

namespace Backprop.MLNet.Tests.MLNet;

/// <summary>The adapter's translation of the public face into the training loop's and engine's terms.</summary>
public class EngineMappingTests
{
    /// <summary>Every field of the loop's epoch record reaches the public report, the validation score included.</summary>
    [Fact]
    public void AnEpochRecordBecomesAReportWithEveryField()
    {
        var record = new EpochRecord(4, 0.5, 0.25, 0.875, 0.001, TimeSpan.FromSeconds(3));

        Assert.Equal(
            new EpochReport { Epoch = 4, TrainingLoss = 0.5, ValidationLoss = 0.25, ValidationScore = 0.875, LearningRate = 0.001, Elapsed = TimeSpan.FromSeconds(3) },
            EngineMapping.ToPublic(record));
    }

    /// <summary>Model files store the activation's code: the public value and the engine value must agree, both ways.</summary>
    [Fact]
    public void EveryActivationMapsToTheEngineActivationWithTheSameCode()
    {
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            ActivationKind kind = EngineMapping.ToEngine(activation);
            Assert.Equal((int)activation, (int)kind);
            Assert.Equal(activation, EngineMapping.ToPublic(kind));
        }

        Assert.Equal(Enum.GetValues<Activation>().Length, Enum.GetValues<ActivationKind>().Length);
    }

    /// <summary>Model files store the stop reason's code too.</summary>
    [Fact]
    public void EveryStopReasonMapsToThePublicReasonWithTheSameCode()
    {
        foreach (StopReason reason in Enum.GetValues<StopReason>())
        {
            Assert.Equal((int)reason, (int)EngineMapping.ToPublic(reason));
        }

        Assert.Equal(Enum.GetValues<StopReason>().Length, Enum.GetValues<TrainingStopReason>().Length);
    }

    [Fact]
    public void EverySolverAndScheduleHasATrainingCounterpart()
    {
        Assert.Equal([SolverKind.Sgd, SolverKind.Adam, SolverKind.Lbfgs], Enum.GetValues<Solver>().Select(EngineMapping.ToTraining));
        Assert.Equal([ScheduleKind.Constant, ScheduleKind.InverseScaling, ScheduleKind.Adaptive],
            Enum.GetValues<LearningRateSchedule>().Select(EngineMapping.ToTraining));
    }

    /// <summary>Every option reaches the settings: each is set to a value unlike its default and read back.</summary>
    [Fact]
    public void EveryOptionReachesTheSettings()
    {
        var options = new BackpropTrainer.Options
        {
            HiddenLayerSizes = [7, 3],
            Activation = Activation.Tanh,
            Solver = Solver.Sgd,
            LearningRate = 0.25,
            LearningRateSchedule = LearningRateSchedule.InverseScaling,
            PowerT = 0.75,
            Momentum = 0.5,
            UseNesterovMomentum = false,
            Beta1 = 0.8,
            Beta2 = 0.99,
            Epsilon = 1e-6,
            L2Regularization = 0.5,
            BatchSize = 17,
            MaximumNumberOfEpochs = 23,
            MaximumNumberOfLossEvaluations = 29,
            Shuffle = false,
            Tolerance = 0.125,
            NumberOfEpochsWithoutImprovement = 4,
            EarlyStopping = true,
            ValidationFraction = 0.3,
            DropoutRate = 0.2,
            NumberOfThreads = 3,
        };
        TrainingSettings s = EngineMapping.ToSettings(options, BackpropTask.MulticlassClassification, outputSize: 5, seed: 42);

        Assert.Equal([7, 3], s.HiddenLayerSizes);
        Assert.Equal(ActivationKind.Tanh, s.Activation);
        Assert.Equal(OutputKind.Softmax, s.OutputKind);
        Assert.Equal(5, s.OutputSize);
        Assert.Equal(SolverKind.Sgd, s.Solver);
        Assert.Equal(ScheduleKind.InverseScaling, s.LearningRateSchedule);
        Assert.Equal(
            (0.25, 0.75, 0.5, false, 0.8, 0.99, 1e-6, 0.5, 17, 23, 29, false, 42, 0.125, 4, true, 0.3, 0.2, 3),
            (s.LearningRate, s.PowerT, s.Momentum, s.UseNesterovMomentum, s.Beta1, s.Beta2, s.Epsilon, s.L2Regularization, s.BatchSize,
                s.MaximumNumberOfEpochs, s.MaximumNumberOfLossEvaluations, s.Shuffle, s.Seed, s.Tolerance, s.NumberOfEpochsWithoutImprovement,
                s.EarlyStopping, s.ValidationFraction, s.DropoutRate, s.NumberOfThreads));

        options.HiddenLayerSizes[0] = 99; // the settings keep their own copy
        Assert.Equal(7, s.HiddenLayerSizes[0]);
        Assert.Equal(Environment.ProcessorCount, EngineMapping.ToSettings(new BackpropTrainer.Options(), BackpropTask.Regression, 1, 0).NumberOfThreads);
    }
}
