using System.Globalization;
using Backprop.MLNet.Training;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// Refuses, before anything is allocated, a network that could never be trained in this process: one whose
/// parameters do not fit in one array, or whose training state (<see cref="TrainingMemory"/>) would not fit in the memory
/// the GC may use (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>: physical memory, or the container or GC heap
/// limit). A network refused here could not be trained on this machine even with nothing else running.
/// </summary>
internal static class ResourceLimits
{
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
        Int128 parameters = TrainingMemory.Parameters(widths);
        string shape = $"a network of {Show(parameters)} parameters (layer widths [{string.Join(", ", widths)}])";
        if (parameters > Array.MaxLength)
        {
            throw Errors.Option(nameof(BackpropTrainer.Options.HiddenLayerSizes), options.HiddenLayerSizes,
                $"gives {shape}, more than the {Show(Array.MaxLength)} one .NET array can hold ({GiB(4 * (double)parameters)} of weights alone)",
                "Use fewer or narrower hidden layers.");
        }

        long batchRows = rows is long known && known > 0 ? Math.Min(options.BatchSize, known) : options.BatchSize;
        if (options.Solver == Solver.Lbfgs)
        {
            batchRows = rows is long all && all > 0 ? all : long.MaxValue;
        }

        double bytes = TrainingMemory.Bytes(widths, EngineMapping.ToTraining(options.Solver), batchRows);
        if (bytes > availableBytes)
        {
            throw Errors.Option(nameof(BackpropTrainer.Options.HiddenLayerSizes), options.HiddenLayerSizes,
                $"gives {shape}, whose training with {options.Solver} needs about {GiB(bytes)} ({bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes), " +
                $"more than the {GiB(availableBytes)} of memory available to this process",
                "Use fewer or narrower hidden layers, or a smaller BatchSize.");
        }
    }

    /// <summary>
    /// The memory this process may still fill: the memory available to it (physical memory, or the container's or the GC
    /// heap's limit) less what is in use now (machine-wide, or the container's, as the GC last measured it).
    /// </summary>
    public static long AvailableMemoryBytes()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        long total = info.TotalAvailableMemoryBytes;
        long used = info.MemoryLoadBytes > 0 && info.MemoryLoadBytes <= total ? info.MemoryLoadBytes : GC.GetTotalMemory(false);
        return Math.Max(0, total - used);
    }

    private static string Show(Int128 value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string GiB(double bytes) => (bytes / (1L << 30)).ToString("G4", CultureInfo.InvariantCulture) + " GiB";
}
