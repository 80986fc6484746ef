using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training;

/// <summary>The outcome of <see cref="MlpTrainer.Train"/>.</summary>
/// <param name="Network">The trained network (a new instance; a network being continued is not modified).</param>
/// <param name="History">One record per epoch, the continued training's epochs first (scikit-learn's <c>loss_curve_</c> and more).</param>
/// <param name="StopReason">Why training stopped.</param>
/// <param name="Checkpoint">Everything needed to continue this training exactly (see <see cref="TrainingCheckpoint"/>).</param>
internal sealed record TrainingResult(Network Network, IReadOnlyList<EpochRecord> History, StopReason StopReason, TrainingCheckpoint Checkpoint)
{
    /// <summary>
    /// A buffer of <see cref="Network.ParameterCount"/> floats that training no longer uses (its gradient), its pages already
    /// written: room for a copy of the network (the model folds the input standardisation into it, see
    /// <see cref="InputStandardization.Fold"/>), or null. Nothing else refers to it.
    /// </summary>
    public float[]? Spare { get; init; }

    /// <summary>Training loss of the last epoch (scikit-learn's <c>loss_</c>), NaN when no epoch ran.</summary>
    public double FinalLoss => History.Count == 0 ? double.NaN : History[^1].TrainingLoss;
}
