using System.Globalization;
using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Training;

/// <summary>The one check both solvers make after every loss they compute: a NaN or infinite loss ends training with an actionable error.</summary>
internal static class Divergence
{
    /// <summary>Throws when <paramref name="loss"/> is NaN or infinite, naming the epoch and the fix.</summary>
    /// <param name="loss">A minibatch, epoch or full-batch loss.</param>
    /// <param name="epoch">The epoch it belongs to.</param>
    /// <exception cref="InvalidOperationException">The loss is not finite.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ThrowIfNotFinite(double loss, int epoch)
    {
        if (!double.IsFinite(loss))
        {
            throw new InvalidOperationException(string.Format(
                CultureInfo.InvariantCulture,
                "Training diverged in epoch {0}: the training loss became {1}. Lower the LearningRate or normalize the features (for example to zero mean and unit variance).",
                epoch,
                loss));
        }
    }
}
