using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Tests.Engine;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training;

/// <summary>Loop semantics of <see cref="MlpTrainer"/> (scikit-learn's <c>_fit_stochastic</c>).</summary>
public class MlpTrainerTests
{
    /// <summary>A linearly separable two-class problem: label = x0 + x1 &gt; 0.</summary>
    internal static TrainingData EasyBinary(int rows, int seed, float[]? weights = null)
    {
        float[] x = TestData.Uniform(new SeededRandom(seed), rows * 2);
        var y = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            y[r] = x[2 * r] + x[(2 * r) + 1] > 0 ? 1f : 0f;
        }

        return new TrainingData(x, y, rows, 2, 1, weights);
    }

    internal static TrainingSettings Settings(int seed = 0) => TestSettings.Default with
    {
        HiddenLayerSizes = [5],
        Activation = ActivationKind.Tanh,
        OutputKind = OutputKind.Sigmoid,
        OutputSize = 1,
        Solver = SolverKind.Adam,
        LearningRate = 0.01,
        BatchSize = 8,
        MaximumNumberOfEpochs = 20,
        Seed = seed,
    };

    /// <summary>Same seed and data give bit-identical weights; another seed gives different ones.</summary>
    [Fact]
    public void SameSeedIsBitIdenticalDifferentSeedDiffers()
    {
        TrainingData data = EasyBinary(50, 1);
        float[] a = MlpTrainer.Train(data, Settings(seed: 3)).Network.Parameters;
        float[] b = MlpTrainer.Train(data, Settings(seed: 3)).Network.Parameters;
        float[] c = MlpTrainer.Train(data, Settings(seed: 4)).Network.Parameters;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    /// <summary>
    /// A batch size above the row count is capped to it: training with BatchSize 1000 on 10 rows
    /// is bit-identical to training with BatchSize 10.
    /// </summary>
    [Fact]
    public void BatchSizeIsCappedAtRowCount()
    {
        TrainingData data = EasyBinary(10, 2);
        TrainingSettings big = Settings();
        big = big with { BatchSize = 1000 };
        TrainingSettings exact = Settings();
        exact = exact with { BatchSize = 10 };
        Assert.Equal(MlpTrainer.Train(data, exact).Network.Parameters, MlpTrainer.Train(data, big).Network.Parameters);
    }

    /// <summary>
    /// One epoch over 7 rows with BatchSize 3 and no shuffling reproduces the loop by hand:
    /// batches [0,3), [3,6), [6,7) (last one smaller), one SGD step after each, and epoch loss
    /// Σ(batch loss × batch rows) / rows — bit-identical.
    /// </summary>
    [Fact]
    public void EpochMatchesManualMinibatchLoop()
    {
        TrainingData data = EasyBinary(7, 3);
        TrainingSettings settings = Settings();
        settings = settings with { Solver = SolverKind.Sgd };
        settings = settings with { Momentum = 0.5 };
        settings = settings with { BatchSize = 3 };
        settings = settings with { Shuffle = false };
        settings = settings with { MaximumNumberOfEpochs = 1 };
        settings = settings with { LearningRate = 0.3 };
        Network initial = Network.CreateInitialized(2, [5], 1, ActivationKind.Tanh, OutputKind.Sigmoid, seed: 8);

        TrainingResult result = MlpTrainer.Train(data, settings, resume: new TrainingCheckpoint { Network = initial });

        Network manual = initial.Clone();
        var workspace = new BackpropWorkspace(manual, 3);
        var sgd = new SgdOptimizer(manual.ParameterCount, 0.5, nesterov: true);
        var gradient = new float[manual.ParameterCount];
        double accumulated = 0;
        foreach ((int start, int rows) in new[] { (0, 3), (3, 3), (6, 1) })
        {
            double loss = workspace.ComputeLossAndGradient(
                data.Features.AsSpan(start * 2, rows * 2), data.Targets.AsSpan(start, rows), rows, (float)settings.L2Regularization, gradient);
            accumulated += loss * rows;
            sgd.Step(manual.Parameters, gradient, 0.3);
        }

        Assert.Equal(accumulated / 7, result.History[0].TrainingLoss);
        Assert.Equal(manual.Parameters, result.Network.Parameters);
        Assert.NotEqual(initial.Parameters, result.Network.Parameters); // the warm-start network is not modified
    }

    /// <summary>Without shuffling the seed only affects initialisation: from the same initial network, two seeds train identically.</summary>
    [Fact]
    public void WithoutShuffleTheRowOrderIsKept()
    {
        TrainingData data = EasyBinary(30, 4);
        var initial = new TrainingCheckpoint { Network = Network.CreateInitialized(2, [5], 1, ActivationKind.Tanh, OutputKind.Sigmoid, seed: 1) };
        TrainingSettings s1 = Settings(seed: 1);
        s1 = s1 with { Shuffle = false };
        TrainingSettings s2 = Settings(seed: 2);
        s2 = s2 with { Shuffle = false };
        Assert.Equal(MlpTrainer.Train(data, s1, resume: initial).Network.Parameters, MlpTrainer.Train(data, s2, resume: initial).Network.Parameters);

        s2 = s2 with { Shuffle = true };
        Assert.NotEqual(MlpTrainer.Train(data, s1, resume: initial).Network.Parameters, MlpTrainer.Train(data, s2, resume: initial).Network.Parameters);
    }

    /// <summary>
    /// On an easy problem with Tolerance 1e-4 training stops early by the no-improvement rule, and
    /// exactly at the first epoch where scikit-learn's counter (loss &gt; best − tol ⇒ +1, else 0)
    /// exceeds the patience, replayed here from the reported losses.
    /// </summary>
    [Fact]
    public void StopsWhenLossStopsImproving()
    {
        TrainingData data = EasyBinary(64, 5);
        TrainingSettings settings = Settings();
        settings = settings with { MaximumNumberOfEpochs = 5000 };
        settings = settings with { Tolerance = 1e-4 };
        settings = settings with { NumberOfEpochsWithoutImprovement = 5 };
        settings = settings with { LearningRate = 0.05 };
        TrainingResult result = MlpTrainer.Train(data, settings);

        Assert.Equal(StopReason.NoImprovement, result.StopReason);
        Assert.True(result.History.Count < 5000);

        double best = double.PositiveInfinity;
        int count = 0;
        int stopEpoch = -1;
        foreach (EpochRecord report in result.History)
        {
            count = report.TrainingLoss > best - 1e-4 ? count + 1 : 0;
            best = Math.Min(best, report.TrainingLoss);
            if (count > 5)
            {
                stopEpoch = report.Epoch;
                break;
            }
        }

        Assert.Equal(result.History.Count, stopEpoch);
    }

    /// <summary>
    /// Adaptive schedule with SGD: with a huge tolerance every epoch but the first (whose loss is
    /// compared with best = +∞) counts as "no improvement", so with patience 0 the rate is divided
    /// by 5 after every epoch from the second on: epochs 1 and 2 use 0.1, epoch e uses 0.1/5^(e−2).
    /// Epoch 10 uses 0.1/5⁸ = 2.56e-7 ≤ 1e-6, after which training stops (LearningRateTooSmall).
    /// </summary>
    [Fact]
    public void AdaptiveScheduleDividesLearningRateByFive()
    {
        TrainingData data = EasyBinary(16, 6);
        TrainingSettings settings = Settings();
        settings = settings with { Solver = SolverKind.Sgd };
        settings = settings with { LearningRateSchedule = ScheduleKind.Adaptive };
        settings = settings with { LearningRate = 0.1 };
        settings = settings with { Tolerance = 1e9 };
        settings = settings with { NumberOfEpochsWithoutImprovement = 0 };
        settings = settings with { MaximumNumberOfEpochs = 100 };
        TrainingResult result = MlpTrainer.Train(data, settings);

        Assert.Equal(StopReason.LearningRateTooSmall, result.StopReason);
        Assert.Equal(10, result.History.Count);
        Assert.Equal(0.1, result.History[0].LearningRate);
        for (int e = 2; e <= result.History.Count; e++)
        {
            Assert.Equal(0.1 / Math.Pow(5, e - 2), result.History[e - 1].LearningRate, 1e-15);
        }
    }

    /// <summary>Inverse scaling: epoch e uses lr₀ / (t + 1)^power_t with t = rows·(e − 1) samples seen; Adam ignores the schedule.</summary>
    [Fact]
    public void InverseScalingUsesSamplesSeen()
    {
        TrainingData data = EasyBinary(20, 7);
        TrainingSettings settings = Settings();
        settings = settings with { Solver = SolverKind.Sgd };
        settings = settings with { LearningRateSchedule = ScheduleKind.InverseScaling };
        settings = settings with { LearningRate = 0.5 };
        settings = settings with { PowerT = 0.25 };
        settings = settings with { MaximumNumberOfEpochs = 4 };
        settings = settings with { NumberOfEpochsWithoutImprovement = 100 };
        TrainingResult result = MlpTrainer.Train(data, settings);
        for (int e = 1; e <= 4; e++)
        {
            Assert.Equal(e == 1 ? 0.5 : 0.5 / Math.Pow((20 * (e - 1)) + 1, 0.25), result.History[e - 1].LearningRate, 1e-15);
        }

        settings = settings with { Solver = SolverKind.Adam };
        Assert.All(MlpTrainer.Train(data, settings).History, r => Assert.Equal(0.5, r.LearningRate));
    }

    /// <summary>checkAlive runs before every minibatch and its OperationCanceledException propagates.</summary>
    [Fact]
    public void CheckAliveIsCalledPerBatchAndCancellationPropagates()
    {
        TrainingData data = EasyBinary(20, 8); // BatchSize 8 → 3 batches per epoch
        TrainingSettings settings = Settings();
        settings = settings with { MaximumNumberOfEpochs = 4 };
        settings = settings with { NumberOfEpochsWithoutImprovement = 100 };
        int calls = 0;
        MlpTrainer.Train(data, settings, checkAlive: () => calls++);
        Assert.Equal(12, calls);

        calls = 0;
        int epochs = 0;
        Assert.Throws<OperationCanceledException>(() => MlpTrainer.Train(
            data,
            settings,
            onEpoch: _ => epochs++,
            checkAlive: () =>
            {
                if (++calls == 5)
                {
                    throw new OperationCanceledException();
                }
            }));
        Assert.Equal(5, calls);
        Assert.Equal(1, epochs);
    }

    /// <summary>onEpoch gets one report per epoch, 1-based, with non-decreasing elapsed time; validation loss is the final network's loss, and the validation score its accuracy.</summary>
    [Fact]
    public void ReportsEveryEpochWithValidationLoss()
    {
        TrainingData data = EasyBinary(40, 9);
        TrainingData validation = EasyBinary(6, 10);
        TrainingSettings settings = Settings();
        settings = settings with { MaximumNumberOfEpochs = 7 };
        settings = settings with { NumberOfEpochsWithoutImprovement = 100 };
        var reports = new List<EpochRecord>();
        TrainingResult result = MlpTrainer.Train(data, settings, onEpoch: reports.Add, validation: validation);

        Assert.Equal(7, reports.Count);
        Assert.Equal(result.History, reports);
        for (int i = 0; i < reports.Count; i++)
        {
            Assert.Equal(i + 1, reports[i].Epoch);
            Assert.True(reports[i].ValidationLoss > 0);
            Assert.InRange(reports[i].ValidationScore!.Value, 0, 1);
            Assert.True(i == 0 || reports[i].Elapsed >= reports[i - 1].Elapsed);
        }

        double expected = new BackpropWorkspace(result.Network, 6).ComputeLoss(validation.Features, validation.Targets, 6, 0f);
        Assert.Equal(expected, reports[^1].ValidationLoss);
        Assert.Equal(Evaluation.Score(new BackpropWorkspace(result.Network, 6), validation), reports[^1].ValidationScore);
        Assert.Null(MlpTrainer.Train(data, settings).History[0].ValidationLoss);
        Assert.Null(MlpTrainer.Train(data, settings).History[0].ValidationScore);
    }

    /// <summary>Sample weights reach the trainer: weight 0 on every positive row ≠ unweighted training.</summary>
    [Fact]
    public void SampleWeightsAffectTraining()
    {
        TrainingData plain = EasyBinary(24, 11);
        var weights = new float[24];
        for (int i = 0; i < 24; i++)
        {
            weights[i] = plain.Targets[i] == 1f ? 0f : 1f;
        }

        TrainingData weighted = EasyBinary(24, 11, weights);
        TrainingResult result = MlpTrainer.Train(weighted, Settings());
        Assert.NotEqual(MlpTrainer.Train(plain, Settings()).Network.Parameters, result.Network.Parameters);

        // Only negatives count, so the model learns to predict 0 everywhere-ish: mean output well below 0.5.
        var outputs = new float[24];
        result.Network.Predict(plain.Features, 24, outputs, result.Network.CreateScratch(24));
        float mean = 0;
        foreach (float o in outputs)
        {
            mean += o / 24;
        }

        Assert.True(mean < 0.3f, $"Mean output {mean}.");
    }

    /// <summary>Huge features with a large learning rate diverge; the error names the epoch and suggests remedies.</summary>
    [Fact]
    public void NonFiniteLossThrowsNamingTheEpoch()
    {
        var x = new float[20];
        var y = new float[10];
        for (int i = 0; i < 10; i++)
        {
            x[2 * i] = 1e30f * (i % 2 == 0 ? 1 : -1);
            x[(2 * i) + 1] = 1e30f;
            y[i] = i;
        }

        var data = new TrainingData(x, y, 10, 2, 1);
        TrainingSettings settings = Settings();
        settings = settings with { Activation = ActivationKind.Identity }; // tanh would saturate and keep everything finite
        settings = settings with { OutputKind = OutputKind.Identity };
        settings = settings with { Solver = SolverKind.Sgd };
        settings = settings with { LearningRate = 10 };
        settings = settings with { BatchSize = 10 };
        settings = settings with { MaximumNumberOfEpochs = 50 };
        var error = Assert.Throws<InvalidOperationException>(() => MlpTrainer.Train(data, settings));
        Assert.Matches(@"epoch \d+", error.Message);
        Assert.Contains("LearningRate", error.Message, StringComparison.Ordinal);
        Assert.Contains("normalize the features", error.Message, StringComparison.Ordinal);
    }

    /// <summary>L-BFGS trains on all rows at once and beats 5 epochs of Adam on a small problem.</summary>
    [Fact]
    public void LbfgsReachesALowerTrainingLossThanFiveAdamEpochs()
    {
        TrainingData data = EasyBinary(80, 21);
        TrainingSettings adam = Settings();
        adam = adam with { MaximumNumberOfEpochs = 5 };
        adam = adam with { Tolerance = 0 };
        TrainingSettings lbfgs = Settings();
        lbfgs = lbfgs with { Solver = SolverKind.Lbfgs };
        lbfgs = lbfgs with { MaximumNumberOfEpochs = 100 };

        TrainingResult adamResult = MlpTrainer.Train(data, adam);
        TrainingResult lbfgsResult = MlpTrainer.Train(data, lbfgs);

        Assert.True(lbfgsResult.FinalLoss < adamResult.FinalLoss / 2, $"L-BFGS {lbfgsResult.FinalLoss} vs Adam {adamResult.FinalLoss}");
        Assert.Equal(Enumerable.Range(1, lbfgsResult.History.Count), lbfgsResult.History.Select(r => r.Epoch));
        Assert.True(lbfgsResult.History.Count <= 100);
        Assert.Equal(lbfgsResult.Network.Parameters, MlpTrainer.Train(data, lbfgs).Network.Parameters); // deterministic
    }

    /// <summary>Data that does not fit the settings, and a network of another shape to continue, are rejected (the options themselves are validated once, by the trainer's Options).</summary>
    [Fact]
    public void RejectsUnsupportedOrInvalidInput()
    {
        TrainingData data = EasyBinary(10, 12);

        TrainingSettings softmax = Settings();
        softmax = softmax with { OutputKind = OutputKind.Identity };
        softmax = softmax with { OutputSize = 2 }; // needs 2 targets per row, data has 1
        Assert.Throws<ArgumentException>(() => MlpTrainer.Train(data, softmax));

        Network wrongShape = Network.CreateInitialized(2, [6], 1, ActivationKind.Tanh, OutputKind.Sigmoid, seed: 0);
        Assert.Throws<ArgumentException>(() => MlpTrainer.Train(data, Settings(), resume: new TrainingCheckpoint { Network = wrongShape }));
    }
}
