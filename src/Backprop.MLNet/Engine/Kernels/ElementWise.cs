using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// Element-wise loops of the training path: each output is one or two exactly rounded IEEE operations (never fused), so
/// they give the same bits as the scalar expression, and as <c>TensorPrimitives</c>' Subtract, Divide, Multiply, Add and
/// MultiplyAdd did here before.
/// </summary>
/// <remarks>
/// Why not <c>TensorPrimitives</c>: its routines are generic methods the runtime compiles on first use, first as
/// unoptimised (tier-0) code, and replaces with optimised code only after 30 calls and a pause, on a background thread
/// that competes with training for the cores; the first epoch paid for it (measured: most of the first epoch's extra time
/// on FMNIST-MLP). These methods are compiled optimised at their first call. Training's output and hidden activations
/// have an exponential of their own for the same reason (<c>Outputs.Exponential</c>), and the reported loss's L2 term
/// its own sum of squares (double precision, a fixed order).
/// </remarks>
internal static class ElementWise
{
    /// <summary>Effectively computes <c>destination[i] = (x[i] − mean[i]) / scale[i]</c>.</summary>
    /// <param name="x">Values.</param>
    /// <param name="mean">Subtracted, of the same length.</param>
    /// <param name="scale">Divisor, of the same length.</param>
    /// <param name="destination">Output, of the same length (may be <paramref name="x"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SubtractDivide(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> scale, Span<float> destination)
    {
        int n = CheckLengths(x.Length, mean.Length, scale.Length, destination.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            ReadOnlySpan<Vector<float>> vm = MemoryMarshal.Cast<float, Vector<float>>(mean);
            ReadOnlySpan<Vector<float>> vs = MemoryMarshal.Cast<float, Vector<float>>(scale);
            Span<Vector<float>> vd = MemoryMarshal.Cast<float, Vector<float>>(destination);
            for (int v = 0; v < vd.Length; v++)
            {
                vd[v] = (vx[v] - vm[v]) / vs[v];
            }

            i = vd.Length * Vector<float>.Count;
        }

        for (; i < n; i++)
        {
            destination[i] = (x[i] - mean[i]) / scale[i];
        }
    }

    /// <summary>Effectively computes <c>x[i] = x[i] · factor</c> (<see cref="Multiply"/> in place).</summary>
    /// <param name="x">Values, scaled in place.</param>
    /// <param name="factor">The factor.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Scale(Span<float> x, float factor) => Multiply(x, factor, x);

    /// <summary>Effectively computes <c>accumulator[i] = x[i] · factor + accumulator[i]</c>, rounding the product and the sum each (not fused).</summary>
    /// <param name="x">Values.</param>
    /// <param name="factor">Their factor.</param>
    /// <param name="accumulator">Added to, of the same length.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled(ReadOnlySpan<float> x, float factor, Span<float> accumulator)
    {
        int n = CheckLengths(x.Length, accumulator.Length, x.Length, x.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            Span<Vector<float>> va = MemoryMarshal.Cast<float, Vector<float>>(accumulator);
            var f = new Vector<float>(factor);
            for (int v = 0; v < va.Length; v++)
            {
                va[v] = (vx[v] * f) + va[v];
            }

            i = va.Length * Vector<float>.Count;
        }

        for (; i < n; i++)
        {
            accumulator[i] = (x[i] * factor) + accumulator[i];
        }
    }

    /// <summary>Effectively computes <c>accumulator[i] = accumulator[i] + x[i]</c>.</summary>
    /// <param name="x">Values.</param>
    /// <param name="accumulator">Added to, of the same length.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(ReadOnlySpan<float> x, Span<float> accumulator)
    {
        int n = CheckLengths(x.Length, accumulator.Length, x.Length, x.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            Span<Vector<float>> va = MemoryMarshal.Cast<float, Vector<float>>(accumulator);
            for (int v = 0; v < va.Length; v++)
            {
                va[v] += vx[v];
            }

            i = va.Length * Vector<float>.Count;
        }

        for (; i < n; i++)
        {
            accumulator[i] += x[i];
        }
    }

    /// <summary>Effectively computes <c>destination[i] = x[i] · factor</c>.</summary>
    /// <param name="x">Values.</param>
    /// <param name="factor">The factor.</param>
    /// <param name="destination">Output, of the same length (may be <paramref name="x"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(ReadOnlySpan<float> x, float factor, Span<float> destination)
    {
        int n = CheckLengths(x.Length, destination.Length, x.Length, x.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            Span<Vector<float>> vd = MemoryMarshal.Cast<float, Vector<float>>(destination);
            var f = new Vector<float>(factor);
            for (int v = 0; v < vd.Length; v++)
            {
                vd[v] = vx[v] * f;
            }

            i = vd.Length * Vector<float>.Count;
        }

        for (; i < n; i++)
        {
            destination[i] = x[i] * factor;
        }
    }

    /// <summary>
    /// Effectively computes <c>x[i] = max(x[i], 0)</c> with <c>TensorPrimitives.Max(x, 0)</c>'s results: NaN stays NaN, −0
    /// becomes +0 (a value at or below 0 is replaced by +0, anything else, NaN included, kept).
    /// </summary>
    /// <param name="x">Values, rectified in place.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(Span<float> x)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Span<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            for (int v = 0; v < vx.Length; v++)
            {
                vx[v] = Vector.ConditionalSelect(Vector.LessThanOrEqual(vx[v], Vector<float>.Zero), Vector<float>.Zero, vx[v]);
            }

            i = vx.Length * Vector<float>.Count;
        }

        for (; i < x.Length; i++)
        {
            x[i] = x[i] <= 0f ? 0f : x[i];
        }
    }

    /// <summary>
    /// Σ x[i]² for the reported loss's L2 term, in float as <c>TensorPrimitives.SumOfSquares</c> gives it (a relative error
    /// of ~10⁻⁷·√n, far below what the stopping rule can see; diverged weights overflow to ∞, which the divergence check
    /// catches): sixteen running sums (index modulo 16) over whole groups of sixteen, added pairwise, then the rest in index
    /// order. Eight-lane vectors only, so the same bits on every machine.
    /// </summary>
    /// <param name="x">Values.</param>
    /// <returns>The sum of their squares.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SumOfSquares(ReadOnlySpan<float> x)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        Vector256<float> low = Vector256<float>.Zero, high = Vector256<float>.Zero;
        int i = 0;
        for (; i + 16 <= x.Length; i += 16)
        {
            Vector256<float> a = Vector256.LoadUnsafe(ref xs, (nuint)i), b = Vector256.LoadUnsafe(ref xs, (nuint)(i + 8));
            low += a * a;
            high += b * b;
        }

        Vector256<float> lanes = low + high;
        float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for (; i < x.Length; i++)
        {
            sum += x[i] * x[i];
        }

        return sum;
    }

    /// <summary>The common length of four spans; the throw is kept out of line so that this inlines into the loops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CheckLengths(int a, int b, int c, int d)
    {
        if (a != b || a != c || a != d)
        {
            ThrowDifferentLengths(a, b, c, d);
        }

        return a;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDifferentLengths(int a, int b, int c, int d) =>
        throw new ArgumentException($"Spans of different lengths: {a}, {b}, {c}, {d}.");
}
