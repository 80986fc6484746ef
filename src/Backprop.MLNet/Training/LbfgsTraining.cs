using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training;

/// <summary>Full-batch training with L-BFGS (scikit-learn's <c>solver='lbfgs'</c>).</summary>
internal static class LbfgsTraining
{
    /// <summary>Trains <paramref name="network"/> on all rows at once; one epoch report per L-BFGS iteration.</summary>
    public static TrainingResult Train(TrainingData data, TrainingSettings settings, Network network, TrainingCheckpoint? resume,
        Action<EpochReport>? onEpoch, Action? checkAlive, TrainingData? validation, long start) =>
        throw new NotSupportedException("The L-BFGS solver is being wired in.");
}
