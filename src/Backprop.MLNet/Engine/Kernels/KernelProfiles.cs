using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// The micro-kernels and tile sizes of one <see cref="KernelIsa"/>. The drivers are generic over
/// this interface, so each path is compiled into its own fully inlined copy.
/// </summary>
internal unsafe interface IKernelProfile
{
    /// <summary>Floats per vector.</summary>
    static abstract int VectorWidth { get; }

    /// <summary>Default rows of A per dot-product tile (<see cref="DotTile"/>), pinned when tuning is off.</summary>
    static abstract int DotRows { get; }

    /// <summary>Default columns of C per broadcast tile (<see cref="GemmTile"/>), pinned when tuning is off; its rows are <see cref="GemmMicroKernels.Rows"/>.</summary>
    static abstract int GemmColumns { get; }

    /// <summary>
    /// Raw dot products of <paramref name="tileRows"/> (2 or 4) rows of A with 4 rows of W, see <see cref="DotMicroKernels"/>.
    /// Both tile heights add every dot product's terms in the same order, so they give the same bits.
    /// </summary>
    /// <param name="tileRows">Rows of A in the tile: 4, or anything else for 2.</param>
    /// <param name="a">First row of A.</param>
    /// <param name="lda">Row stride of A.</param>
    /// <param name="w">First row of W.</param>
    /// <param name="ldw">Row stride of W.</param>
    /// <param name="outputs">Valid rows of W (1–4).</param>
    /// <param name="k">Length of the dot products.</param>
    /// <param name="sums">Destination [<paramref name="tileRows"/> × 4].</param>
    static abstract void DotTile(int tileRows, float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums);

    /// <summary>Raw dot products of one row of A with 4 rows of W (same arithmetic as <see cref="DotTile"/>).</summary>
    /// <param name="a">The row of A.</param>
    /// <param name="w">First row of W.</param>
    /// <param name="ldw">Row stride of W.</param>
    /// <param name="outputs">Valid rows of W (1–4).</param>
    /// <param name="k">Length of the dot products.</param>
    /// <param name="sums">Destination [4].</param>
    static abstract void DotRow(float* a, float* w, nint ldw, int outputs, int k, float* sums);

    /// <summary>
    /// One broadcast tile of C = A·panel, see <see cref="GemmMicroKernels"/>, <paramref name="panelColumns"/> wide
    /// (4 vectors, or anything else for 2). Each element of C is the same multiply–add chain over k for either width.
    /// </summary>
    /// <param name="panelColumns">Columns of the packed panel: 4 · <see cref="VectorWidth"/>, or 2 · <see cref="VectorWidth"/>.</param>
    /// <param name="a">A[0, 0] of the tile.</param>
    /// <param name="rsA">Stride between rows of A.</param>
    /// <param name="csA">Stride between successive summation indices of A.</param>
    /// <param name="rows">Valid rows.</param>
    /// <param name="panel">The B panel [k × <paramref name="panelColumns"/>]: packed, or in place in B.</param>
    /// <param name="ldb">Stride between the panel's rows (<paramref name="panelColumns"/> when packed, B's row length in place).</param>
    /// <param name="k">Length of the sums.</param>
    /// <param name="c">C[0, 0] of the tile.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="columns">Valid columns.</param>
    /// <param name="tile">Scratch [rows × <paramref name="panelColumns"/>].</param>
    static abstract void GemmTile(int panelColumns, float* a, nint rsA, nint csA, int rows, float* panel, nint ldb, int k, float* c, nint ldc, int columns, float* tile);
}

/// <summary>AVX-512: 4 × 4 dot tiles and 6 × 64 broadcast tiles by default (2 × 4 and 6 × 32 for the tuner).</summary>
internal readonly unsafe struct Avx512Profile : IKernelProfile
{
    /// <inheritdoc />
    public static int VectorWidth => 16;

    /// <inheritdoc />
    public static int DotRows => 4;

    /// <inheritdoc />
    public static int GemmColumns => 64;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotTile(int tileRows, float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums)
    {
        if (tileRows == 4)
        {
            DotMicroKernels.Tile4x4<Vector512Ops, Vector512<float>>(a, lda, w, ldw, outputs, k, sums);
        }
        else
        {
            DotMicroKernels.Tile2x4<Vector512Ops, Vector512<float>>(a, lda, w, ldw, outputs, k, sums);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotRow(float* a, float* w, nint ldw, int outputs, int k, float* sums) =>
        DotMicroKernels.Row1x4<Vector512Ops, Vector512<float>>(a, w, ldw, outputs, k, sums);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GemmTile(int panelColumns, float* a, nint rsA, nint csA, int rows, float* panel, nint ldb, int k, float* c, nint ldc, int columns, float* tile)
    {
        if (panelColumns == 4 * VectorWidth)
        {
            GemmMicroKernels.Tile6x4<Vector512Ops, Vector512<float>>(a, rsA, csA, rows, panel, ldb, k, c, ldc, columns, tile);
        }
        else
        {
            GemmMicroKernels.Tile6x2<Vector512Ops, Vector512<float>>(a, rsA, csA, rows, panel, ldb, k, c, ldc, columns, tile);
        }
    }
}

/// <summary>AVX2 + FMA (16 registers): 2 × 4 dot tiles, 6 × 16 broadcast tiles (the 4-row and 4-vector tiles would spill).</summary>
internal readonly unsafe struct Avx2Profile : IKernelProfile
{
    /// <inheritdoc />
    public static int VectorWidth => 8;

    /// <inheritdoc />
    public static int DotRows => 2;

    /// <inheritdoc />
    public static int GemmColumns => 16;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotTile(int tileRows, float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums)
    {
        if (tileRows == 4)
        {
            DotMicroKernels.Tile4x4<Vector256Ops, Vector256<float>>(a, lda, w, ldw, outputs, k, sums);
        }
        else
        {
            DotMicroKernels.Tile2x4<Vector256Ops, Vector256<float>>(a, lda, w, ldw, outputs, k, sums);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotRow(float* a, float* w, nint ldw, int outputs, int k, float* sums) =>
        DotMicroKernels.Row1x4<Vector256Ops, Vector256<float>>(a, w, ldw, outputs, k, sums);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GemmTile(int panelColumns, float* a, nint rsA, nint csA, int rows, float* panel, nint ldb, int k, float* c, nint ldc, int columns, float* tile)
    {
        if (panelColumns == 4 * VectorWidth)
        {
            GemmMicroKernels.Tile6x4<Vector256Ops, Vector256<float>>(a, rsA, csA, rows, panel, ldb, k, c, ldc, columns, tile);
        }
        else
        {
            GemmMicroKernels.Tile6x2<Vector256Ops, Vector256<float>>(a, rsA, csA, rows, panel, ldb, k, c, ldc, columns, tile);
        }
    }
}

/// <summary>Portable 128-bit vectors: 2 × 4 dot tiles, 6 × 8 broadcast tiles.</summary>
internal readonly unsafe struct PortableProfile : IKernelProfile
{
    /// <inheritdoc />
    public static int VectorWidth => 4;

    /// <inheritdoc />
    public static int DotRows => 2;

    /// <inheritdoc />
    public static int GemmColumns => 8;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotTile(int tileRows, float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums)
    {
        if (tileRows == 4)
        {
            DotMicroKernels.Tile4x4<Vector128Ops, Vector128<float>>(a, lda, w, ldw, outputs, k, sums);
        }
        else
        {
            DotMicroKernels.Tile2x4<Vector128Ops, Vector128<float>>(a, lda, w, ldw, outputs, k, sums);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotRow(float* a, float* w, nint ldw, int outputs, int k, float* sums) =>
        DotMicroKernels.Row1x4<Vector128Ops, Vector128<float>>(a, w, ldw, outputs, k, sums);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GemmTile(int panelColumns, float* a, nint rsA, nint csA, int rows, float* panel, nint ldb, int k, float* c, nint ldc, int columns, float* tile)
    {
        if (panelColumns == 4 * VectorWidth)
        {
            GemmMicroKernels.Tile6x4<Vector128Ops, Vector128<float>>(a, rsA, csA, rows, panel, ldb, k, c, ldc, columns, tile);
        }
        else
        {
            GemmMicroKernels.Tile6x2<Vector128Ops, Vector128<float>>(a, rsA, csA, rows, panel, ldb, k, c, ldc, columns, tile);
        }
    }
}
