using System.Globalization;
using Backprop.MLNet.Engine;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// Refuses, before anything is allocated, a network that could never be trained in this process: one whose
/// parameters do not fit in one array, or whose training state would not fit in the memory the GC may use.
/// </summary>
/// <remarks>
/// The estimate (bytes) effectively computes 4 · (P · (1 + B) + 3 · R · Σ widths), where P is the number of
/// parameters, B the parameter-sized buffers the solver keeps besides the weights (gradient, optimizer state,
/// the best epoch's weights; for L-BFGS also its 10 correction pairs in double precision), and R the rows in
/// one forward/backward pass (the batch, or the L-BFGS chunk), whose activations and deltas are kept per layer.
/// It is compared with <see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/> (physical memory, or the container or
/// GC heap limit): a network refused here could not be trained on this machine even with nothing else running.
/// </remarks>
internal static class ResourceLimits
{
    /// <summary>Parameter-sized float32 buffers besides the weights: gradient, velocity, best weights.</summary>
    private const int SgdBuffers = 3;

    /// <summary>Gradient, two moments, best weights.</summary>
    private const int AdamBuffers = 4;

    /// <summary>
    /// Chunk gradient, point, gradient, trial point, trial gradient, best point (6 floats), the search direction
    /// (1 double = 2 floats) and 10 (s, y) correction pairs in double (40 floats).
    /// </summary>
    private const int LbfgsBuffers = 48;

    /// <summary>Rows per L-BFGS chunk (the full batch is evaluated in chunks of at most this many rows).</summary>
    private const int LbfgsChunkRows = 4096;

    /// <summary>Throws when the network that <paramref name="options"/> describes for this data could not be trained.</summary>
    /// <param name="options">The trainer's (validated) options.</param>
    /// <param name="inputSize">The feature vector length.</param>
    /// <param name="outputSize">The number of output units.</param>
    /// <param name="rows">The number of training rows if the data knows it, else null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The network is too large; the message gives its size and the limit.</exception>
    public static void CheckNetworkFits(BackpropTrainer.Options options, int inputSize, int outputSize, long? rows) =>
        CheckNetworkFits(options, inputSize, outputSize, rows, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>As above, against a given memory limit (for tests).</summary>
    internal static void CheckNetworkFits(BackpropTrainer.Options options, int inputSize, int outputSize, long? rows, long availableBytes)
    {
        int[] widths = [inputSize, .. options.HiddenLayerSizes, outputSize];
        Int128 parameters = 0;
        Int128 units = 0;
        for (int i = 1; i < widths.Length; i++)
        {
            parameters += ((Int128)widths[i - 1] + 1) * widths[i];
            units += widths[i];
        }

        string shape = $"a network of {Show(parameters)} parameters (layer widths [{string.Join(", ", widths)}])";
        if (parameters > Array.MaxLength)
        {
            throw Errors.Option(nameof(BackpropTrainer.Options.HiddenLayerSizes), options.HiddenLayerSizes,
                $"gives {shape}, more than the {Show(Array.MaxLength)} one .NET array can hold ({GiB(4 * (double)parameters)} of weights alone)",
                "Use fewer or narrower hidden layers.");
        }

        int buffers = options.Solver switch
        {
            Solver.Sgd => SgdBuffers,
            Solver.Lbfgs => LbfgsBuffers,
            _ => AdamBuffers,
        };
        long batchRows = options.Solver == Solver.Lbfgs ? LbfgsChunkRows : options.BatchSize;
        if (rows is long known && known > 0)
            batchRows = Math.Min(batchRows, known);
        double bytes = 4 * ((double)parameters * (1 + buffers) + 3.0 * batchRows * (double)(units + inputSize));
        if (bytes > availableBytes)
        {
            throw Errors.Option(nameof(BackpropTrainer.Options.HiddenLayerSizes), options.HiddenLayerSizes,
                $"gives {shape}, whose training with {options.Solver} needs about {GiB(bytes)} ({bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes), " +
                $"more than the {GiB(availableBytes)} of memory available to this process",
                "Use fewer or narrower hidden layers, or a smaller BatchSize.");
        }
    }

    private static string Show(Int128 value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string GiB(double bytes) => (bytes / (1L << 30)).ToString("G4", CultureInfo.InvariantCulture) + " GiB";
}
