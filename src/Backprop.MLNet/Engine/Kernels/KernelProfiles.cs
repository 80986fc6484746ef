using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// The micro-kernels and tile sizes of one <see cref="KernelIsa"/>. The drivers are generic over
/// this interface, so each path is compiled into its own fully inlined copy.
/// </summary>
internal unsafe interface IKernelProfile
{
    /// <summary>Rows of A per dot-product tile (<see cref="DotTile"/>).</summary>
    static abstract int DotRows { get; }

    /// <summary>Columns of C per broadcast tile (<see cref="GemmTile"/>); its rows are <see cref="GemmMicroKernels.Rows"/>.</summary>
    static abstract int GemmColumns { get; }

    /// <summary>Raw dot products of <see cref="DotRows"/> rows of A with 4 rows of W, see <see cref="DotMicroKernels"/>.</summary>
    /// <param name="a">First row of A.</param>
    /// <param name="lda">Row stride of A.</param>
    /// <param name="w">First row of W.</param>
    /// <param name="ldw">Row stride of W.</param>
    /// <param name="outputs">Valid rows of W (1–4).</param>
    /// <param name="k">Length of the dot products.</param>
    /// <param name="sums">Destination [<see cref="DotRows"/> × 4].</param>
    static abstract void DotTile(float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums);

    /// <summary>Raw dot products of one row of A with 4 rows of W (same arithmetic as <see cref="DotTile"/>).</summary>
    /// <param name="a">The row of A.</param>
    /// <param name="w">First row of W.</param>
    /// <param name="ldw">Row stride of W.</param>
    /// <param name="outputs">Valid rows of W (1–4).</param>
    /// <param name="k">Length of the dot products.</param>
    /// <param name="sums">Destination [4].</param>
    static abstract void DotRow(float* a, float* w, nint ldw, int outputs, int k, float* sums);

    /// <summary>One broadcast tile of C = A·panel, see <see cref="GemmMicroKernels"/>.</summary>
    /// <param name="a">A[0, 0] of the tile.</param>
    /// <param name="rsA">Stride between rows of A.</param>
    /// <param name="csA">Stride between successive summation indices of A.</param>
    /// <param name="rows">Valid rows.</param>
    /// <param name="panel">Packed B panel [k × <see cref="GemmColumns"/>].</param>
    /// <param name="k">Length of the sums.</param>
    /// <param name="c">C[0, 0] of the tile.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="columns">Valid columns.</param>
    /// <param name="tile">Scratch [rows × <see cref="GemmColumns"/>].</param>
    static abstract void GemmTile(float* a, nint rsA, nint csA, int rows, float* panel, int k, float* c, nint ldc, int columns, float* tile);
}

/// <summary>AVX-512: 4 × 4 dot tiles, 6 × 64 broadcast tiles.</summary>
internal readonly unsafe struct Avx512Profile : IKernelProfile
{
    /// <inheritdoc />
    public static int DotRows => 4;

    /// <inheritdoc />
    public static int GemmColumns => 64;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotTile(float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums) =>
        DotMicroKernels.Tile4x4<Vector512Ops, Vector512<float>>(a, lda, w, ldw, outputs, k, sums);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotRow(float* a, float* w, nint ldw, int outputs, int k, float* sums) =>
        DotMicroKernels.Row1x4<Vector512Ops, Vector512<float>>(a, w, ldw, outputs, k, sums);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GemmTile(float* a, nint rsA, nint csA, int rows, float* panel, int k, float* c, nint ldc, int columns, float* tile) =>
        GemmMicroKernels.Tile6x4<Vector512Ops, Vector512<float>>(a, rsA, csA, rows, panel, k, c, ldc, columns, tile);
}

/// <summary>AVX2 + FMA (16 registers): 2 × 4 dot tiles, 6 × 16 broadcast tiles.</summary>
internal readonly unsafe struct Avx2Profile : IKernelProfile
{
    /// <inheritdoc />
    public static int DotRows => 2;

    /// <inheritdoc />
    public static int GemmColumns => 16;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotTile(float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums) =>
        DotMicroKernels.Tile2x4<Vector256Ops, Vector256<float>>(a, lda, w, ldw, outputs, k, sums);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotRow(float* a, float* w, nint ldw, int outputs, int k, float* sums) =>
        DotMicroKernels.Row1x4<Vector256Ops, Vector256<float>>(a, w, ldw, outputs, k, sums);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GemmTile(float* a, nint rsA, nint csA, int rows, float* panel, int k, float* c, nint ldc, int columns, float* tile) =>
        GemmMicroKernels.Tile6x2<Vector256Ops, Vector256<float>>(a, rsA, csA, rows, panel, k, c, ldc, columns, tile);
}

/// <summary>Portable 128-bit vectors: 2 × 4 dot tiles, 6 × 8 broadcast tiles.</summary>
internal readonly unsafe struct PortableProfile : IKernelProfile
{
    /// <inheritdoc />
    public static int DotRows => 2;

    /// <inheritdoc />
    public static int GemmColumns => 8;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotTile(float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums) =>
        DotMicroKernels.Tile2x4<Vector128Ops, Vector128<float>>(a, lda, w, ldw, outputs, k, sums);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotRow(float* a, float* w, nint ldw, int outputs, int k, float* sums) =>
        DotMicroKernels.Row1x4<Vector128Ops, Vector128<float>>(a, w, ldw, outputs, k, sums);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GemmTile(float* a, nint rsA, nint csA, int rows, float* panel, int k, float* c, nint ldc, int columns, float* tile) =>
        GemmMicroKernels.Tile6x2<Vector128Ops, Vector128<float>>(a, rsA, csA, rows, panel, k, c, ldc, columns, tile);
}
