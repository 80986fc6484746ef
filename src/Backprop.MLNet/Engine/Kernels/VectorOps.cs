using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// The handful of float-vector operations the micro-kernels need, as static members so that a
/// kernel written once over <typeparamref name="TVec"/> is compiled separately (and fully inlined)
/// for each vector width.
/// </summary>
/// <typeparam name="TVec">The vector type.</typeparam>
internal unsafe interface IVectorOps<TVec>
    where TVec : struct
{
    /// <summary>Number of floats in one vector.</summary>
    static abstract int Width { get; }

    /// <summary>All zeros.</summary>
    static abstract TVec Zero { get; }

    /// <summary>Loads <see cref="Width"/> floats from <paramref name="source"/> (no alignment needed).</summary>
    /// <param name="source">First float.</param>
    static abstract TVec Load(float* source);

    /// <summary>Stores <paramref name="value"/> to <paramref name="destination"/> (no alignment needed).</summary>
    /// <param name="value">The vector.</param>
    /// <param name="destination">First float.</param>
    static abstract void Store(TVec value, float* destination);

    /// <summary>A vector with every lane equal to <paramref name="value"/>.</summary>
    /// <param name="value">The value.</param>
    static abstract TVec Broadcast(float value);

    /// <summary>Effectively computes a·b + c per lane (fused where the path has FMA).</summary>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor.</param>
    /// <param name="c">Addend.</param>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>Lane-wise sum a + b.</summary>
    /// <param name="a">First addend.</param>
    /// <param name="b">Second addend.</param>
    static abstract TVec Add(TVec a, TVec b);

    /// <summary>Lane-wise max(v, 0), propagating NaN.</summary>
    /// <param name="value">The vector.</param>
    static abstract TVec Relu(TVec value);

    /// <summary>Sum of all lanes, in the fixed order of the platform's horizontal add.</summary>
    /// <param name="value">The vector.</param>
    static abstract float Sum(TVec value);

    /// <summary>The lane sums of four vectors, <c>[Σv0, Σv1, Σv2, Σv3]</c>, each in a fixed order (cheaper than four <see cref="Sum"/> calls).</summary>
    /// <param name="v0">First vector.</param>
    /// <param name="v1">Second vector.</param>
    /// <param name="v2">Third vector.</param>
    /// <param name="v3">Fourth vector.</param>
    static abstract Vector128<float> Sum4(TVec v0, TVec v1, TVec v2, TVec v3);
}

/// <summary>512-bit vectors with AVX-512F fused multiply-add.</summary>
internal readonly unsafe struct Vector512Ops : IVectorOps<Vector512<float>>
{
    /// <inheritdoc />
    public static int Width => Vector512<float>.Count;

    /// <inheritdoc />
    public static Vector512<float> Zero => Vector512<float>.Zero;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, float* destination) => value.Store(destination);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Vector512.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> value) => Vector512.Sum(value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> value) => Vector512.Max(value, Vector512<float>.Zero);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3) =>
        Vector256Ops.Sum4(
            v0.GetLower() + v0.GetUpper(), v1.GetLower() + v1.GetUpper(), v2.GetLower() + v2.GetUpper(), v3.GetLower() + v3.GetUpper());
}

/// <summary>256-bit vectors with FMA3 fused multiply-add.</summary>
internal readonly unsafe struct Vector256Ops : IVectorOps<Vector256<float>>
{
    /// <inheritdoc />
    public static int Width => Vector256<float>.Count;

    /// <inheritdoc />
    public static Vector256<float> Zero => Vector256<float>.Zero;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, float* destination) => value.Store(destination);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Vector256.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value) => Vector256.Sum(value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> value) => Vector256.Max(value, Vector256<float>.Zero);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
    {
        if (Avx.IsSupported)
        {
            // hadd(hadd(v0, v1), hadd(v2, v3)) holds the four half-sums of each vector per 128-bit lane.
            Vector256<float> h = Avx.HorizontalAdd(Avx.HorizontalAdd(v0, v1), Avx.HorizontalAdd(v2, v3));
            return h.GetLower() + h.GetUpper();
        }

        return Vector128.Create(Vector256.Sum(v0), Vector256.Sum(v1), Vector256.Sum(v2), Vector256.Sum(v3));
    }
}

/// <summary>
/// 128-bit vectors, the portable path: hardware SIMD on SSE and Arm, a software fallback elsewhere.
/// Multiply–add is fused only where the hardware has it (consistently within one process).
/// </summary>
internal readonly unsafe struct Vector128Ops : IVectorOps<Vector128<float>>
{
    /// <inheritdoc />
    public static int Width => Vector128<float>.Count;

    /// <inheritdoc />
    public static Vector128<float> Zero => Vector128<float>.Zero;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* source) => Vector128.Load(source);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, float* destination) => value.Store(destination);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Vector128.MultiplyAddEstimate(a, b, c);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> value) => Vector128.Sum(value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Relu(Vector128<float> value) => Vector128.Max(value, Vector128<float>.Zero);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3)
    {
        if (Sse3.IsSupported)
        {
            return Sse3.HorizontalAdd(Sse3.HorizontalAdd(v0, v1), Sse3.HorizontalAdd(v2, v3));
        }

        return Vector128.Create(Vector128.Sum(v0), Vector128.Sum(v1), Vector128.Sum(v2), Vector128.Sum(v3));
    }
}
