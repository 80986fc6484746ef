using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine;

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

    /// <summary>Sum of all lanes, in the fixed order of the platform's horizontal add.</summary>
    /// <param name="value">The vector.</param>
    static abstract float Sum(TVec value);
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
}
