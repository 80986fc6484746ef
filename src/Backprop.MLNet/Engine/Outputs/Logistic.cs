using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// Training's logistic function σ(z) = 1 / (1 + e^−z) on <see cref="Exponential"/>, for the sigmoid output and the sigmoid
/// hidden activation: with e = e^(−|z|), σ = 1 / (1 + e) for z ≥ 0 and e / (1 + e) below, in float (only e^x of x ≤ 0 is
/// asked for, so nothing overflows); the same bits for a value wherever it sits in a span and on every machine.
/// </summary>
internal static class Logistic
{
    /// <summary>Writes σ(z) of every value.</summary>
    /// <param name="values">The arguments.</param>
    /// <param name="results">At least as long as <paramref name="values"/>; may be the same span.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(ReadOnlySpan<float> values, Span<float> results)
    {
        ref float zs = ref MemoryMarshal.GetReference(values);
        ref float ps = ref MemoryMarshal.GetReference(results[..values.Length]);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= values.Length; j += 16)
            {
                Of(Vector512.LoadUnsafe(ref zs, (nuint)j)).StoreUnsafe(ref ps, (nuint)j);
            }
        }

        for (; j + 8 <= values.Length; j += 8)
        {
            Of(Vector256.LoadUnsafe(ref zs, (nuint)j)).StoreUnsafe(ref ps, (nuint)j);
        }

        if (j < values.Length)
        {
            RowTail.Store(Of(RowTail.Load(values[j..], 0f)), results[j..values.Length]);
        }
    }

    /// <summary>Sixteen lanes of <see cref="Apply"/>.</summary>
    /// <param name="z">Arguments.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Of(Vector512<float> z)
    {
        Vector512<float> e = Exponential.Of(-Vector512.Abs(z));
        Vector512<float> numerator = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(z, Vector512<float>.Zero), Vector512<float>.One, e);
        return numerator / (Vector512<float>.One + e);
    }

    /// <summary>Eight lanes of <see cref="Apply"/>.</summary>
    /// <param name="z">Arguments.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Of(Vector256<float> z)
    {
        Vector256<float> e = Exponential.Of(-Vector256.Abs(z));
        Vector256<float> numerator = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero), Vector256<float>.One, e);
        return numerator / (Vector256<float>.One + e);
    }
}
