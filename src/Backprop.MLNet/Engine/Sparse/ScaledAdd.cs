using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Sparse;

/// <summary>
/// The one arithmetic step of the sparse first layer: effectively computes <c>y[j] = fma(a, x[j], y[j])</c>, one fused
/// multiply–add per element. Element-wise and fused in every lane and in the scalar tail, so a result does not depend
/// on the vector width, the alignment or the length of the span it is part of.
/// </summary>
internal static unsafe class ScaledAdd
{
    /// <summary>y ← a·x + y over <paramref name="count"/> floats.</summary>
    /// <param name="a">The scale.</param>
    /// <param name="x">The row added.</param>
    /// <param name="y">The accumulator, updated in place.</param>
    /// <param name="count">Number of floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float a, float* x, float* y, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            for (; j <= count - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                Vector512.FusedMultiplyAdd(va, Vector512.Load(x + j), Vector512.Load(y + j)).Store(y + j);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; j <= count - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                Vector256.FusedMultiplyAdd(va, Vector256.Load(x + j), Vector256.Load(y + j)).Store(y + j);
            }
        }

        for (; j < count; j++)
        {
            y[j] = MathF.FusedMultiplyAdd(a, x[j], y[j]);
        }
    }
}
