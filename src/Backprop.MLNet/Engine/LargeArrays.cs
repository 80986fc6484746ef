using System.Runtime.InteropServices;

namespace Backprop.MLNet.Engine;

/// <summary>
/// Allocates the arrays that hold a whole data set (the feature matrix read for training, its sparse rows, the rows kept
/// apart for validation, a streamed epoch's shuffling pool) or a whole network (its parameters, the gradient, the
/// optimizer's state, a transposed first layer) and, on Linux, asks the kernel to back them with transparent huge pages
/// before anything is written to them.
/// </summary>
/// <remarks>
/// <para>The first write to each 4 KiB page of fresh memory is a page fault. On this project's virtual machines one costs
/// about 13 µs, so filling FMNIST's 188 MB feature matrix spent ~0.6 s in 47,000 faults, a fifth of <c>Fit</c>. With
/// <c>madvise(MADV_HUGEPAGE)</c> on the array's 2 MiB-aligned interior the kernel maps 2 MiB a fault where it can:
/// ~2,000 faults and 0.1–0.4 s for the same matrix (benchmarks/README.md, "Huge pages for the data").</para>
/// <para>The advice is a hint and changes no value. Where the kernel's setting
/// (<c>/sys/kernel/mm/transparent_hugepage/enabled</c>) is <c>never</c>, where the kernel has no transparent huge pages,
/// on other systems, or for arrays under <see cref="MinimumBytes"/>, nothing happens. An array the garbage collector
/// hands out from memory it used before is already mapped; the advice then only lets the kernel merge its pages later.</para>
/// </remarks>
internal static partial class LargeArrays
{
    /// <summary>Arrays smaller than this are allocated as usual (one huge page is 2 MiB; a few are not worth a system call).</summary>
    public const long MinimumBytes = 8L << 20;

    /// <summary>The size and alignment of a huge page on x64 and Arm64 Linux.</summary>
    private const long HugePageBytes = 2L << 20;

    /// <summary>Linux's <c>MADV_HUGEPAGE</c>.</summary>
    private const int AdviseHugePage = 14;

    /// <summary>A zeroed array of <paramref name="length"/> elements, huge pages asked for when it is large.</summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="length">Elements (≥ 0, at most <see cref="Array.MaxLength"/>).</param>
    /// <returns>The array.</returns>
    public static T[] Allocate<T>(long length)
        where T : unmanaged
    {
        var array = new T[length];
        AdviseHugePages(array);
        return array;
    }

    /// <summary>A copy of <paramref name="source"/> through <see cref="Allocate{T}(long)"/>.</summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="source">The array to copy.</param>
    /// <returns>The copy.</returns>
    public static T[] Copy<T>(T[] source)
        where T : unmanaged
    {
        T[] copy = Allocate<T>(source.Length);
        source.AsSpan().CopyTo(copy);
        return copy;
    }

    /// <summary>
    /// <see cref="Array.Resize{T}(ref T[], int)"/> through <see cref="Allocate{T}(long)"/>: the first
    /// min(old, new) elements are kept, the rest are zero.
    /// </summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="array">The array, replaced by the resized one.</param>
    /// <param name="length">The new length.</param>
    public static void Resize<T>(ref T[] array, int length)
        where T : unmanaged
    {
        if (array.Length == length)
        {
            return;
        }

        T[] resized = Allocate<T>(length);
        array.AsSpan(0, Math.Min(length, array.Length)).CopyTo(resized);
        array = resized;
    }

    /// <summary>Asks for huge pages under the whole 2 MiB pages inside <paramref name="array"/>.</summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="array">The array.</param>
    /// <returns>True when the kernel took the advice; false when none was given or it was refused.</returns>
    internal static unsafe bool AdviseHugePages<T>(T[] array)
        where T : unmanaged
    {
        long bytes = (long)array.Length * sizeof(T);
        if (bytes < MinimumBytes || !OperatingSystem.IsLinux())
        {
            return false;
        }

        // Arrays this large live on the large-object heap, which the collector does not move unless asked to compact it;
        // the address is only needed for the call itself.
        fixed (T* pointer = array)
        {
            long start = ((long)pointer + HugePageBytes - 1) & ~(HugePageBytes - 1);
            long end = ((long)pointer + bytes) & ~(HugePageBytes - 1);
            if (end <= start)
            {
                return false;
            }

            try
            {
                return Advise((nint)start, (nuint)(end - start), AdviseHugePage) == 0;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }
        }
    }

    /// <summary>The C library's <c>madvise</c>.</summary>
    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Advise(nint address, nuint length, int advice);
}
