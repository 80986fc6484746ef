using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Parallel;

/// <summary>
/// A growable, pinned, 64-byte-aligned float buffer for packed matrix panels. Each thread that runs
/// kernel tasks owns one (see <see cref="ForCurrentThread"/> and <see cref="KernelWorkerPool"/>), so
/// packing never allocates once the buffer has reached the largest size a workload needs.
/// </summary>
internal sealed unsafe class PackBuffer
{
    /// <summary>Alignment in floats (64 bytes: one cache line, one AVX-512 vector).</summary>
    private const int AlignFloats = 16;

    /// <summary>Backs <see cref="ForCurrentThread"/>.</summary>
    [ThreadStatic]
    private static PackBuffer? t_current;

    /// <summary>The pinned backing array (its start may be unaligned; <see cref="Pointer"/> is aligned).</summary>
    private float[] _array = [];

    /// <summary>Aligned start of the usable space (valid after <see cref="Ensure"/>).</summary>
    public float* Pointer { get; private set; }

    /// <summary>Usable length in floats.</summary>
    public int Length { get; private set; }

    /// <summary>A buffer that is never grown, for problems that pack nothing (so one-row inference allocates nothing at all).</summary>
    public static PackBuffer None { get; } = new();

    /// <summary>The calling thread's buffer (created on first use).</summary>
    public static PackBuffer ForCurrentThread
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get => t_current ??= new PackBuffer();
    }

    /// <summary>Grows the buffer (discarding its contents) so that it holds at least <paramref name="floats"/> values.</summary>
    /// <param name="floats">Required length.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Ensure(int floats)
    {
        if (floats <= Length)
        {
            return;
        }

        // The pinned object heap never moves arrays, so the aligned pointer stays valid for the array's life.
        _array = GC.AllocateUninitializedArray<float>(checked(floats + AlignFloats), pinned: true);
        fixed (float* start = _array)
        {
            nint misalignment = (nint)start & ((AlignFloats * sizeof(float)) - 1);
            Pointer = misalignment == 0 ? start : (float*)((byte*)start + ((AlignFloats * sizeof(float)) - misalignment));
        }

        Length = floats;
    }
}
