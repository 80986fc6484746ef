using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Training;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// The one place where the public face's words become the training loop's and the engine's, and back: the options
/// become <see cref="TrainingSettings"/>, the public enums become engine enums, and the loop's records become
/// <see cref="EpochReport"/>s and <see cref="TrainingStopReason"/>s. Below the adapter nothing knows the public types.
/// </summary>
internal static class EngineMapping
{
    /// <summary>The settings of one training, resolved from validated options.</summary>
    /// <param name="options">The trainer's options (validated when the trainer was created).</param>
    /// <param name="task">The resolved task (it fixes the output layer).</param>
    /// <param name="outputSize">The number of output units.</param>
    /// <param name="seed">The seed: <see cref="BackpropTrainer.Options.Seed"/>, or one drawn from the MLContext.</param>
    public static TrainingSettings ToSettings(BackpropTrainer.Options options, BackpropTask task, int outputSize, int seed) => new()
    {
        HiddenLayerSizes = options.HiddenLayerSizes.ToArray(),
        Activation = ToEngine(options.Activation),
        OutputKind = OutputKindOf(task),
        OutputSize = outputSize,
        Solver = ToTraining(options.Solver),
        LearningRate = options.LearningRate,
        LearningRateSchedule = ToTraining(options.LearningRateSchedule),
        PowerT = options.PowerT,
        Momentum = options.Momentum,
        UseNesterovMomentum = options.UseNesterovMomentum,
        Beta1 = options.Beta1,
        Beta2 = options.Beta2,
        Epsilon = options.Epsilon,
        L2Regularization = options.L2Regularization,
        BatchSize = options.BatchSize,
        MaximumNumberOfEpochs = options.MaximumNumberOfEpochs,
        MaximumNumberOfLossEvaluations = options.MaximumNumberOfLossEvaluations,
        Shuffle = options.Shuffle,
        Seed = seed,
        Tolerance = options.Tolerance,
        NumberOfEpochsWithoutImprovement = options.NumberOfEpochsWithoutImprovement,
        EarlyStopping = options.EarlyStopping,
        ValidationFraction = options.ValidationFraction,
        DropoutRate = options.DropoutRate,
        LazySparseUpdates = options.LazySparseUpdates,
        NumberOfThreads = options.NumberOfThreads ?? Environment.ProcessorCount,
    };

    /// <summary>The output layer (and loss) that goes with each task.</summary>
    /// <param name="task">A resolved task (not Auto).</param>
    public static OutputKind OutputKindOf(BackpropTask task) => task switch
    {
        BackpropTask.BinaryClassification => OutputKind.Sigmoid,
        BackpropTask.MulticlassClassification => OutputKind.Softmax,
        BackpropTask.Regression => OutputKind.Identity,
        BackpropTask.MultilabelClassification => OutputKind.Sigmoid, // one sigmoid unit per label
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "The task must be resolved before training."),
    };

    /// <summary>The engine's activation for a public one.</summary>
    /// <param name="activation">A defined <see cref="Activation"/>.</param>
    public static ActivationKind ToEngine(Activation activation) => activation switch
    {
        Activation.Identity => ActivationKind.Identity,
        Activation.Sigmoid => ActivationKind.Sigmoid,
        Activation.Tanh => ActivationKind.Tanh,
        Activation.Relu => ActivationKind.Relu,
        Activation.LeakyRelu => ActivationKind.LeakyRelu,
        Activation.Gelu => ActivationKind.Gelu,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    /// <summary>The public activation for an engine one.</summary>
    /// <param name="activation">An engine activation.</param>
    public static Activation ToPublic(ActivationKind activation) => activation switch
    {
        ActivationKind.Identity => Activation.Identity,
        ActivationKind.Sigmoid => Activation.Sigmoid,
        ActivationKind.Tanh => Activation.Tanh,
        ActivationKind.Relu => Activation.Relu,
        ActivationKind.LeakyRelu => Activation.LeakyRelu,
        ActivationKind.Gelu => Activation.Gelu,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    /// <summary>The training loop's solver for a public one.</summary>
    /// <param name="solver">A defined <see cref="Solver"/>.</param>
    public static SolverKind ToTraining(Solver solver) => solver switch
    {
        Solver.Sgd => SolverKind.Sgd,
        Solver.Adam => SolverKind.Adam,
        Solver.Lbfgs => SolverKind.Lbfgs,
        _ => throw new ArgumentOutOfRangeException(nameof(solver), solver, "Unknown solver."),
    };

    /// <summary>The training loop's schedule for a public one.</summary>
    /// <param name="schedule">A defined <see cref="LearningRateSchedule"/>.</param>
    public static ScheduleKind ToTraining(LearningRateSchedule schedule) => schedule switch
    {
        LearningRateSchedule.Constant => ScheduleKind.Constant,
        LearningRateSchedule.InverseScaling => ScheduleKind.InverseScaling,
        LearningRateSchedule.Adaptive => ScheduleKind.Adaptive,
        _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown learning-rate schedule."),
    };

    /// <summary>The public stop reason for the loop's.</summary>
    /// <param name="reason">Why the loop stopped.</param>
    public static TrainingStopReason ToPublic(StopReason reason) => reason switch
    {
        StopReason.EpochLimit => TrainingStopReason.EpochLimit,
        StopReason.NoImprovement => TrainingStopReason.NoImprovement,
        StopReason.LearningRateTooSmall => TrainingStopReason.LearningRateTooSmall,
        StopReason.EarlyStopped => TrainingStopReason.EarlyStopped,
        StopReason.Converged => TrainingStopReason.Converged,
        StopReason.EvaluationLimit => TrainingStopReason.EvaluationLimit,
        StopReason.LineSearchFailed => TrainingStopReason.LineSearchFailed,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown stop reason."),
    };

    /// <summary>The public report of one epoch.</summary>
    /// <param name="record">The loop's record.</param>
    public static EpochReport ToPublic(EpochRecord record) => new()
    {
        Epoch = record.Epoch,
        TrainingLoss = record.TrainingLoss,
        ValidationLoss = record.ValidationLoss,
        ValidationScore = record.ValidationScore,
        LearningRate = record.LearningRate,
        Elapsed = record.Elapsed,
    };

    /// <summary>The public history of a training: its records and why it stopped.</summary>
    /// <param name="records">One record per epoch.</param>
    /// <param name="reason">Why the last training stopped.</param>
    public static TrainingHistory ToPublic(IReadOnlyList<EpochRecord> records, StopReason reason) =>
        new(records.Select(ToPublic), ToPublic(reason));
}
