using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Sparse;

/// <summary>
/// A row's non-zero values, for sparse storage: explicit zeros change nothing and are dropped, NaN (≠ 0) is kept. One
/// place for what reading, streaming and scoring each need.
/// </summary>
internal static class NonZeros
{
    /// <summary>How many of <paramref name="values"/> are not zero (NaN counts: it is not zero).</summary>
    /// <remarks>
    /// Sixteen or eight values at a time, and compiled optimised at its first call: the reading pass calls it once per row
    /// (FMNIST: 60,000 times), and the runtime promotes a method only after a pause in compiling new ones, which a reading
    /// pass with the warm-up beside it rarely gives (a probe found it running unoptimised through the pass).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Count(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int count = 0, k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; k <= values.Length - Vector512<float>.Count; k += Vector512<float>.Count)
            {
                // A lane equals 0 for ±0 only; NaN compares unequal and is counted.
                ulong zeros = Vector512.Equals(Vector512.LoadUnsafe(ref start, (nuint)k), Vector512<float>.Zero).ExtractMostSignificantBits();
                count += Vector512<float>.Count - BitOperations.PopCount(zeros);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; k <= values.Length - Vector256<float>.Count; k += Vector256<float>.Count)
            {
                uint zeros = Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)k), Vector256<float>.Zero).ExtractMostSignificantBits();
                count += Vector256<float>.Count - BitOperations.PopCount(zeros);
            }
        }

        for (; k < values.Length; k++)
        {
            count += values[k] != 0f ? 1 : 0;
        }

        return count;
    }

    /// <summary>
    /// Writes the non-zero values of a row and their feature indices, in increasing index order; returns how many (the
    /// destinations need room for <see cref="Count"/> of them).
    /// </summary>
    /// <param name="isDense">Whether <paramref name="values"/> holds every feature (its index is its position).</param>
    /// <param name="values">The values: every feature, or those at <paramref name="indices"/>.</param>
    /// <param name="indices">The features' increasing indices when sparse; ignored when dense.</param>
    /// <param name="toIndices">Where the indices go.</param>
    /// <param name="toValues">Where the values go.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per row read, as Count
    public static int Copy(bool isDense, ReadOnlySpan<float> values, ReadOnlySpan<int> indices, Span<int> toIndices, Span<float> toValues)
    {
        int n = 0;
        for (int k = 0; k < values.Length; k++)
        {
            if (values[k] != 0f)
            {
                toIndices[n] = isDense ? k : indices[k];
                toValues[n++] = values[k];
            }
        }

        return n;
    }
}
