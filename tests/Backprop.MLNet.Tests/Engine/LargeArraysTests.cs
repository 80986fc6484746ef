using System.Globalization;
using System.Runtime.InteropServices;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.MLNet;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>
/// The arrays that hold a data set or a wide network ask Linux for transparent huge pages: the kernel's own record of
/// each mapping (<c>/proc/self/smaps</c>, flag <c>hg</c> = MADV_HUGEPAGE given) shows the advice on a large array's
/// memory, not on a small one's, and on the arrays the reading pass, the validation split, a wide network and its
/// optimizer allocate. Values are untouched by any of it. Where the kernel has no transparent huge pages (or on another
/// system) the advice is refused and nothing else changes.
/// </summary>
public sealed class LargeArraysTests
{
    private static bool KernelHasHugePages => OperatingSystem.IsLinux() && Directory.Exists("/sys/kernel/mm/transparent_hugepage");

    [Fact]
    public void ALargeArrayIsAdvisedWhereTheKernelHasHugePages()
    {
        float[] array = LargeArrays.Allocate<float>(LargeArrays.MinimumBytes / sizeof(float) * 2);
        Assert.Equal(KernelHasHugePages, AdvisedForHugePages(array));
        Assert.Equal(KernelHasHugePages, LargeArrays.AdviseHugePages(array));
        Assert.All(array, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ASmallArrayIsNotAdvised()
    {
        var array = new float[(LargeArrays.MinimumBytes / sizeof(float)) - 1];
        Assert.False(LargeArrays.AdviseHugePages(array));
        Assert.False(LargeArrays.AdviseHugePages(new int[1000]));
    }

    [Fact]
    public void ResizeKeepsTheValuesAndZeroesTheRest()
    {
        int[] array = [1, 2, 3, 4];
        LargeArrays.Resize(ref array, 6);
        Assert.Equal([1, 2, 3, 4, 0, 0], array);
        LargeArrays.Resize(ref array, 3);
        Assert.Equal([1, 2, 3], array);
        int[] same = array;
        LargeArrays.Resize(ref array, 3);
        Assert.Same(same, array);
    }

    [Fact]
    public void TheReadingPassMatrixAndTheValidationCopyAreAdvised()
    {
        const int width = 1_000;
        int rows = (int)(LargeArrays.MinimumBytes / sizeof(float) / width) + 600;
        var matrix = new GrowableMatrix(width, rows);
        for (int r = 0; r < rows; r++)
        {
            matrix.AppendRow()[r % width] = r;
        }

        float[] features = matrix.Take();
        Assert.Equal(KernelHasHugePages, AdvisedForHugePages(features));
        Assert.Equal(rows - 1, features[((long)(rows - 1) * width) + ((rows - 1) % width)]);

        var data = new TrainingData(features, new float[rows], rows, width, 1, null);
        int[] kept = Enumerable.Range(0, rows).Where(r => r % 5 != 0).ToArray();
        TrainingData selected = data.Select(kept);
        Assert.Equal(KernelHasHugePages, AdvisedForHugePages(selected.Features));
        Assert.Equal(kept[^1], selected.Features[((long)(kept.Length - 1) * width) + (kept[^1] % width)]);
    }

    [Fact]
    public void AWideNetworkItsGradientScratchAndItsOptimizerStateAreAdvised()
    {
        var network = new Network(30_000, [100], 1, ActivationKind.Relu, OutputKind.Sigmoid);
        Assert.True(network.ParameterCount * sizeof(float) >= LargeArrays.MinimumBytes);
        Assert.Equal(KernelHasHugePages, AdvisedForHugePages(network.Parameters));
        Assert.Equal(KernelHasHugePages, AdvisedForHugePages(FirstLayerLayout.Scratch(network)));
        var adam = new AdamOptimizer(network.ParameterCount, 0.9, 0.999, 1e-8);
        Assert.Equal(KernelHasHugePages, AdvisedForHugePages(adam.FirstMoment));
        Assert.Equal(KernelHasHugePages, AdvisedForHugePages(adam.SecondMoment));
        Assert.Equal(KernelHasHugePages, AdvisedForHugePages(new SgdOptimizer(network.ParameterCount, 0.9, false).Velocity));
        float[] copy = LargeArrays.Copy(network.Parameters);
        Assert.Equal(KernelHasHugePages, AdvisedForHugePages(copy));
        Assert.Equal(network.Parameters, copy);

        // A small network's arrays are left alone.
        Assert.False(AdvisedForHugePages(new Network(20, [100], 1, ActivationKind.Relu, OutputKind.Sigmoid).Parameters));
    }

    /// <summary>Whether the kernel's mapping that holds the array's first whole 2 MiB page carries the MADV_HUGEPAGE flag.</summary>
    private static bool AdvisedForHugePages(float[] array)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        const long hugePage = 2L << 20;
        GCHandle handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        ulong address = (ulong)((handle.AddrOfPinnedObject().ToInt64() + hugePage - 1) & ~(hugePage - 1));
        handle.Free();

        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            // A mapping's first line starts with its lower-case hexadecimal address range; its fields start with a capital.
            if (dash > 0 && space > dash && (char.IsAsciiDigit(line[0]) || line[0] is >= 'a' and <= 'f'))
            {
                ulong start = ulong.Parse(line[..dash], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                ulong end = ulong.Parse(line[(dash + 1)..space], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                inside = start <= address && address < end;
            }
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("hg");
            }
        }

        throw new InvalidOperationException($"No mapping in /proc/self/smaps holds address 0x{address:x}.");
    }
}
