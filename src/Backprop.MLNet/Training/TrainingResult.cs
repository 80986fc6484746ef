using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training;

/// <summary>The outcome of <see cref="MlpTrainer.Train"/>.</summary>
/// <param name="Network">The trained network (a new instance; a network being continued is not modified).</param>
/// <param name="History">One record per epoch, the continued training's epochs first (scikit-learn's <c>loss_curve_</c> and more).</param>
/// <param name="StopReason">Why training stopped.</param>
/// <param name="Checkpoint">Everything needed to continue this training exactly (see <see cref="TrainingCheckpoint"/>).</param>
internal sealed record TrainingResult(Network Network, IReadOnlyList<EpochRecord> History, StopReason StopReason, TrainingCheckpoint Checkpoint)
{
    /// <summary>Training loss of the last epoch (scikit-learn's <c>loss_</c>), NaN when no epoch ran.</summary>
    public double FinalLoss => History.Count == 0 ? double.NaN : History[^1].TrainingLoss;
}
