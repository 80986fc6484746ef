using System.Collections.Generic;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training;

/// <summary>The outcome of <see cref="MlpTrainer.Train"/>.</summary>
internal sealed class TrainingResult
{
    /// <summary>Bundles the outcome.</summary>
    /// <param name="network">The trained network.</param>
    /// <param name="history">One report per epoch run.</param>
    /// <param name="stopReason">Why training stopped.</param>
    /// <param name="optimizer">The optimizer with its final state.</param>
    /// <param name="finalLearningRate">The learning rate the next epoch would have used.</param>
    public TrainingResult(Network network, IReadOnlyList<EpochReport> history, TrainingStopReason stopReason, IOptimizer? optimizer, double finalLearningRate)
    {
        Network = network;
        History = history;
        StopReason = stopReason;
        Optimizer = optimizer;
        FinalLearningRate = finalLearningRate;
    }

    /// <summary>The trained network (a new instance; a warm-start network passed in is not modified).</summary>
    public Network Network { get; }

    /// <summary>One report per epoch run, in order (scikit-learn's <c>loss_curve_</c> and more).</summary>
    public IReadOnlyList<EpochReport> History { get; }

    /// <summary>Why training stopped.</summary>
    public TrainingStopReason StopReason { get; }

    /// <summary>The optimizer with its final state (velocity or Adam moments and step count).</summary>
    public IOptimizer? Optimizer { get; }

    /// <summary>The learning rate after the last epoch's schedule update.</summary>
    public double FinalLearningRate { get; }

    /// <summary>Number of epochs run (scikit-learn's <c>n_iter_</c>).</summary>
    public int Epochs => History.Count;

    /// <summary>Everything needed to continue this training exactly (see <see cref="TrainingCheckpoint"/>).</summary>
    public TrainingCheckpoint? Checkpoint { get; init; }

    /// <summary>Training loss of the last epoch (scikit-learn's <c>loss_</c>).</summary>
    public double FinalLoss => History.Count == 0 ? double.NaN : History[History.Count - 1].TrainingLoss;
}
