using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Optimizers;

namespace Backprop.MLNet.Training;

/// <summary>
/// Everything needed to continue a training exactly where it stopped: the network, the optimizer's state,
/// the shuffling generator's state, the counters of the schedule and stopping rule, and the history.
/// Continuing from the checkpoint of N epochs for M more gives the weights of N + M epochs in one go
/// (same data, settings and seed), because nothing that influences the next update is lost.
/// </summary>
internal sealed class TrainingCheckpoint
{
    /// <summary>The network's parameters at the end of training.</summary>
    public required Network Network { get; init; }

    /// <summary>The optimizer's state, or null (a fresh optimizer: parameters-only warm start, or L-BFGS).</summary>
    public OptimizerState? Optimizer { get; init; }

    /// <summary>The state of the generator that shuffles the rows, or null to start from the seed.</summary>
    public ulong[]? RandomState { get; init; }

    /// <summary>Rows seen by the optimizer so far (the t of the inverse-scaling schedule).</summary>
    public long SamplesSeen { get; init; }

    /// <summary>The learning rate the next epoch would use, or null for the settings' initial rate.</summary>
    public double? LearningRate { get; init; }

    /// <summary>The best value of the stopping criterion so far (training loss, or minus the validation score).</summary>
    public double BestCriterion { get; init; } = double.PositiveInfinity;

    /// <summary>Consecutive epochs without an improvement of the stopping criterion.</summary>
    public int NoImprovementCount { get; init; }

    /// <summary>The epochs so far.</summary>
    public IReadOnlyList<EpochRecord> History { get; init; } = [];

    /// <summary>The same checkpoint with another optimizer state.</summary>
    /// <param name="optimizer">The state.</param>
    public TrainingCheckpoint WithOptimizer(OptimizerState optimizer) => With(Network, optimizer);

    /// <summary>The same checkpoint without the optimizer's state: a warm start from it starts a fresh optimizer.</summary>
    public TrainingCheckpoint WithoutOptimizer() => Optimizer is null ? this : With(Network, null);

    /// <summary>The same checkpoint of another network object (the same parameters in another prediction form).</summary>
    /// <param name="network">The network.</param>
    public TrainingCheckpoint WithNetwork(Network network) => With(network, Optimizer);

    private TrainingCheckpoint With(Network network, OptimizerState? optimizer) => new()
    {
        Network = network,
        Optimizer = optimizer,
        RandomState = RandomState,
        SamplesSeen = SamplesSeen,
        LearningRate = LearningRate,
        BestCriterion = BestCriterion,
        NoImprovementCount = NoImprovementCount,
        History = History,
    };
}
