using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// Register-blocked broadcast micro-kernels for C = A·B over a [k × NR] panel of B, packed or read in place:
/// <c>c[i, j] = Σ_p a[i·rsA + p·csA]·panel[p·ldb + j]</c> for a tile of 6 rows and NR columns.
/// The strides let one kernel read A row-major (rsA = lda, csA = 1) or transposed (rsA = 1, csA = lda).
/// </summary>
/// <remarks>
/// Each element of C is one multiply–add chain over p = 0, 1, …, k − 1, so the result does not
/// depend on the tiling or on which thread runs a tile. Rows past <c>rows</c> alias row 0 and are
/// not stored; when fewer than NR columns are valid the tile goes through <c>tile</c> and only the
/// valid part is copied to C.
/// </remarks>
internal static unsafe class GemmMicroKernels
{
    /// <summary>Rows of C per tile.</summary>
    public const int Rows = 6;

    /// <summary>A 6 × (4 vectors) tile (AVX-512: 6 × 64, 24 accumulators of 32 registers).</summary>
    /// <typeparam name="TOps">Vector operations.</typeparam>
    /// <typeparam name="TVec">Vector type.</typeparam>
    /// <param name="a">A[0, 0] of the tile.</param>
    /// <param name="rsA">Stride between rows of A.</param>
    /// <param name="csA">Stride between successive p in a row of A.</param>
    /// <param name="rows">Valid rows (1–6).</param>
    /// <param name="panel">B panel [k × 4·width], packed or in place.</param>
    /// <param name="ldb">Stride between the panel's rows.</param>
    /// <param name="k">Length of the sums.</param>
    /// <param name="c">C[0, 0] of the tile.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="columns">Valid columns (1–4·width).</param>
    /// <param name="tile">Scratch [6 × 4·width] for partial tiles.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x4<TOps, TVec>(
        float* a, nint rsA, nint csA, int rows, float* panel, nint ldb, int k, float* c, nint ldc, int columns, float* tile)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        int w = TOps.Width;
        int nr = 4 * w;
        RowPointers(a, rsA, rows, out float* a0, out float* a1, out float* a2, out float* a3, out float* a4, out float* a5);
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        TVec c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c43 = TOps.Zero;
        TVec c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero, c53 = TOps.Zero;
        float* b = panel;
        nint off = 0;
        for (int p = 0; p < k; p++)
        {
            TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w), b2 = TOps.Load(b + (2 * w)), b3 = TOps.Load(b + (3 * w));
            TVec x = TOps.Broadcast(a0[off]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01); c02 = TOps.MultiplyAdd(x, b2, c02); c03 = TOps.MultiplyAdd(x, b3, c03);
            x = TOps.Broadcast(a1[off]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11); c12 = TOps.MultiplyAdd(x, b2, c12); c13 = TOps.MultiplyAdd(x, b3, c13);
            x = TOps.Broadcast(a2[off]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21); c22 = TOps.MultiplyAdd(x, b2, c22); c23 = TOps.MultiplyAdd(x, b3, c23);
            x = TOps.Broadcast(a3[off]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31); c32 = TOps.MultiplyAdd(x, b2, c32); c33 = TOps.MultiplyAdd(x, b3, c33);
            x = TOps.Broadcast(a4[off]);
            c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41); c42 = TOps.MultiplyAdd(x, b2, c42); c43 = TOps.MultiplyAdd(x, b3, c43);
            x = TOps.Broadcast(a5[off]);
            c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51); c52 = TOps.MultiplyAdd(x, b2, c52); c53 = TOps.MultiplyAdd(x, b3, c53);
            b += ldb;
            off += csA;
        }

        bool direct = columns == nr;
        float* d = direct ? c : tile;
        nint ld = direct ? ldc : nr;
        int stored = direct ? rows : Rows;
        Store4<TOps, TVec>(d, w, c00, c01, c02, c03);
        if (stored > 1) { Store4<TOps, TVec>(d + ld, w, c10, c11, c12, c13); }
        if (stored > 2) { Store4<TOps, TVec>(d + (2 * ld), w, c20, c21, c22, c23); }
        if (stored > 3) { Store4<TOps, TVec>(d + (3 * ld), w, c30, c31, c32, c33); }
        if (stored > 4) { Store4<TOps, TVec>(d + (4 * ld), w, c40, c41, c42, c43); }
        if (stored > 5) { Store4<TOps, TVec>(d + (5 * ld), w, c50, c51, c52, c53); }
        if (!direct)
        {
            CopyPartial(tile, nr, rows, columns, c, ldc);
        }
    }

    /// <summary>A 6 × (2 vectors) tile (AVX2: 6 × 16, 12 accumulators of 16 registers; portable: 6 × 8).</summary>
    /// <typeparam name="TOps">Vector operations.</typeparam>
    /// <typeparam name="TVec">Vector type.</typeparam>
    /// <param name="a">A[0, 0] of the tile.</param>
    /// <param name="rsA">Stride between rows of A.</param>
    /// <param name="csA">Stride between successive p in a row of A.</param>
    /// <param name="rows">Valid rows (1–6).</param>
    /// <param name="panel">B panel [k × 2·width], packed or in place.</param>
    /// <param name="ldb">Stride between the panel's rows.</param>
    /// <param name="k">Length of the sums.</param>
    /// <param name="c">C[0, 0] of the tile.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="columns">Valid columns (1–2·width).</param>
    /// <param name="tile">Scratch [6 × 2·width] for partial tiles.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x2<TOps, TVec>(
        float* a, nint rsA, nint csA, int rows, float* panel, nint ldb, int k, float* c, nint ldc, int columns, float* tile)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        int w = TOps.Width;
        int nr = 2 * w;
        RowPointers(a, rsA, rows, out float* a0, out float* a1, out float* a2, out float* a3, out float* a4, out float* a5);
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        float* b = panel;
        nint off = 0;
        for (int p = 0; p < k; p++)
        {
            TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TVec x = TOps.Broadcast(a0[off]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(a1[off]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(a2[off]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(a3[off]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(a4[off]);
            c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(a5[off]);
            c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
            b += ldb;
            off += csA;
        }

        bool direct = columns == nr;
        float* d = direct ? c : tile;
        nint ld = direct ? ldc : nr;
        int stored = direct ? rows : Rows;
        Store2<TOps, TVec>(d, w, c00, c01);
        if (stored > 1) { Store2<TOps, TVec>(d + ld, w, c10, c11); }
        if (stored > 2) { Store2<TOps, TVec>(d + (2 * ld), w, c20, c21); }
        if (stored > 3) { Store2<TOps, TVec>(d + (3 * ld), w, c30, c31); }
        if (stored > 4) { Store2<TOps, TVec>(d + (4 * ld), w, c40, c41); }
        if (stored > 5) { Store2<TOps, TVec>(d + (5 * ld), w, c50, c51); }
        if (!direct)
        {
            CopyPartial(tile, nr, rows, columns, c, ldc);
        }
    }

    /// <summary>Pointers to the 6 rows of A; rows past <paramref name="rows"/> alias row 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowPointers(
        float* a, nint rsA, int rows, out float* a0, out float* a1, out float* a2, out float* a3, out float* a4, out float* a5)
    {
        a0 = a;
        a1 = rows > 1 ? a + rsA : a;
        a2 = rows > 2 ? a + (2 * rsA) : a;
        a3 = rows > 3 ? a + (3 * rsA) : a;
        a4 = rows > 4 ? a + (4 * rsA) : a;
        a5 = rows > 5 ? a + (5 * rsA) : a;
    }

    /// <summary>Stores 4 consecutive vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4<TOps, TVec>(float* d, int w, TVec v0, TVec v1, TVec v2, TVec v3)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        TOps.Store(v0, d);
        TOps.Store(v1, d + w);
        TOps.Store(v2, d + (2 * w));
        TOps.Store(v3, d + (3 * w));
    }

    /// <summary>Stores 2 consecutive vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2<TOps, TVec>(float* d, int w, TVec v0, TVec v1)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        TOps.Store(v0, d);
        TOps.Store(v1, d + w);
    }

    /// <summary>Copies the valid <paramref name="rows"/> × <paramref name="columns"/> corner of a scratch tile to C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyPartial(float* tile, int nr, int rows, int columns, float* c, nint ldc)
    {
        for (int i = 0; i < rows; i++)
        {
            Unsafe.CopyBlockUnaligned(c + (i * ldc), tile + (i * nr), (uint)(columns * sizeof(float)));
        }
    }
}
