using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Training;

/// <summary>
/// What the training loop needs to know, resolved and fixed: built once from the trainer's validated options (by the
/// adapter, <c>MLNet/EngineMapping.cs</c>), with the task's output layer, the seed and the thread count filled in. It
/// has no defaults and no validator of its own: the public options are the one source of truth for both, and their
/// documentation gives each value's meaning and its scikit-learn name.
/// </summary>
internal sealed record TrainingSettings
{
    /// <summary>Width of each hidden layer, input side first.</summary>
    public required IReadOnlyList<int> HiddenLayerSizes { get; init; }

    /// <summary>The hidden-layer activation.</summary>
    public required ActivationKind Activation { get; init; }

    /// <summary>The output layer and its loss.</summary>
    public required OutputKind OutputKind { get; init; }

    /// <summary>Output units: 1 for binary, K for K classes, one per regression target.</summary>
    public required int OutputSize { get; init; }

    /// <summary>Outputs of the first weight layer: the first hidden layer's width, or the output size without hidden layers.</summary>
    public int FirstLayerOutputs => HiddenLayerSizes.Count > 0 ? HiddenLayerSizes[0] : OutputSize;

    /// <summary>Minibatch SGD or Adam, or full-batch L-BFGS.</summary>
    public required SolverKind Solver { get; init; }

    /// <summary>The initial learning rate.</summary>
    public required double LearningRate { get; init; }

    /// <summary>The SGD learning-rate schedule (Adam and L-BFGS ignore it).</summary>
    public required ScheduleKind LearningRateSchedule { get; init; }

    /// <summary>The exponent of the inverse-scaling schedule.</summary>
    public required double PowerT { get; init; }

    /// <summary>SGD momentum.</summary>
    public required double Momentum { get; init; }

    /// <summary>Whether SGD uses Nesterov's momentum.</summary>
    public required bool UseNesterovMomentum { get; init; }

    /// <summary>Adam's first-moment decay.</summary>
    public required double Beta1 { get; init; }

    /// <summary>Adam's second-moment decay.</summary>
    public required double Beta2 { get; init; }

    /// <summary>Adam's stability term.</summary>
    public required double Epsilon { get; init; }

    /// <summary>The L2 penalty on the weights (not the biases).</summary>
    public required double L2Regularization { get; init; }

    /// <summary>Rows per minibatch; capped at the number of rows by the solver.</summary>
    public required int BatchSize { get; init; }

    /// <summary>The most epochs (for L-BFGS: iterations).</summary>
    public required int MaximumNumberOfEpochs { get; init; }

    /// <summary>L-BFGS: the most loss-and-gradient evaluations.</summary>
    public required int MaximumNumberOfLossEvaluations { get; init; }

    /// <summary>Whether the rows are reshuffled before every epoch.</summary>
    public required bool Shuffle { get; init; }

    /// <summary>The seed of the initial weights, the shuffles and dropout.</summary>
    public required int Seed { get; init; }

    /// <summary>The smallest improvement of the stopping criterion that counts (for L-BFGS: the gradient tolerance).</summary>
    public required double Tolerance { get; init; }

    /// <summary>Epochs without an improvement of <see cref="Tolerance"/> tolerated before stopping.</summary>
    public required int NumberOfEpochsWithoutImprovement { get; init; }

    /// <summary>Whether the validation score decides when to stop and which epoch's weights to keep.</summary>
    public required bool EarlyStopping { get; init; }

    /// <summary>The fraction of rows held out for early stopping when no validation data is given.</summary>
    public required double ValidationFraction { get; init; }

    /// <summary>The probability of dropping each hidden unit in a training pass; 0 for none.</summary>
    public required double DropoutRate { get; init; }

    /// <summary>
    /// With sparse rows and a minibatch solver: update only the first-layer weights of the inputs a minibatch holds
    /// (lazy); false updates every weight every step (exact, dense cost).
    /// </summary>
    public required bool LazySparseUpdates { get; init; }

    /// <summary>Threads of the matrix kernels and the Adam step (at least 1); results do not depend on it.</summary>
    public required int NumberOfThreads { get; init; }
}
