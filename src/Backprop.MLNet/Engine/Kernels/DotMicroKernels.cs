using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// Register-blocked dot-product micro-kernels for Z = A·Wᵀ, where A and W are both contiguous along
/// the summed index k. Each kernel computes a small block of raw dot products
/// <c>sums[r·4 + j] = Σ_k a[r, k]·w[j, k]</c> for 4 weight rows.
/// </summary>
/// <remarks>
/// Every dot product is evaluated the same way in every kernel: lane l of one vector accumulator
/// adds the products with k ≡ l (mod width) in increasing k by multiply–add, the last partial
/// vector is zero-padded, and the lanes are then added by <see cref="IVectorOps{TVec}.Sum4"/> (always for the same group of 4 outputs).
/// So a row's result never depends on which kernel, tile position, batch size or thread computed
/// it: one-row inference reproduces a batched forward pass bit for bit.
/// Weight rows past <c>outputs</c> alias row 0 (computed, then ignored by the caller).
/// </remarks>
internal static unsafe class DotMicroKernels
{
    /// <summary>Largest vector width in floats (AVX-512).</summary>
    private const int MaxWidth = 16;

    /// <summary>Dot products of 4 rows of A with 4 rows of W.</summary>
    /// <typeparam name="TOps">Vector operations.</typeparam>
    /// <typeparam name="TVec">Vector type.</typeparam>
    /// <param name="a">First of 4 rows of A.</param>
    /// <param name="lda">Row stride of A.</param>
    /// <param name="w">First of up to 4 rows of W.</param>
    /// <param name="ldw">Row stride of W.</param>
    /// <param name="outputs">Valid rows of W (1–4).</param>
    /// <param name="k">Length of the dot products.</param>
    /// <param name="sums">Destination [4 × 4].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x4<TOps, TVec>(float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        int width = TOps.Width;
        float* a0 = a, a1 = a + lda, a2 = a + (2 * lda), a3 = a + (3 * lda);
        WeightRows(w, ldw, outputs, out float* w0, out float* w1, out float* w2, out float* w3);
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        float* tail = stackalloc float[8 * MaxWidth];
        int steps = Steps(k, width, out int tailStep);
        for (int s = 0; s < steps; s++)
        {
            if (s == tailStep)
            {
                int rest = k - (s * width);
                a0 = Tail(a0, rest, tail); a1 = Tail(a1, rest, tail + width); a2 = Tail(a2, rest, tail + (2 * width)); a3 = Tail(a3, rest, tail + (3 * width));
                w0 = Tail(w0, rest, tail + (4 * width)); w1 = Tail(w1, rest, tail + (5 * width)); w2 = Tail(w2, rest, tail + (6 * width)); w3 = Tail(w3, rest, tail + (7 * width));
            }

            TVec x0 = TOps.Load(a0), x1 = TOps.Load(a1), x2 = TOps.Load(a2), x3 = TOps.Load(a3);
            TVec y = TOps.Load(w0);
            c00 = TOps.MultiplyAdd(x0, y, c00); c10 = TOps.MultiplyAdd(x1, y, c10); c20 = TOps.MultiplyAdd(x2, y, c20); c30 = TOps.MultiplyAdd(x3, y, c30);
            y = TOps.Load(w1);
            c01 = TOps.MultiplyAdd(x0, y, c01); c11 = TOps.MultiplyAdd(x1, y, c11); c21 = TOps.MultiplyAdd(x2, y, c21); c31 = TOps.MultiplyAdd(x3, y, c31);
            y = TOps.Load(w2);
            c02 = TOps.MultiplyAdd(x0, y, c02); c12 = TOps.MultiplyAdd(x1, y, c12); c22 = TOps.MultiplyAdd(x2, y, c22); c32 = TOps.MultiplyAdd(x3, y, c32);
            y = TOps.Load(w3);
            c03 = TOps.MultiplyAdd(x0, y, c03); c13 = TOps.MultiplyAdd(x1, y, c13); c23 = TOps.MultiplyAdd(x2, y, c23); c33 = TOps.MultiplyAdd(x3, y, c33);
            a0 += width; a1 += width; a2 += width; a3 += width;
            w0 += width; w1 += width; w2 += width; w3 += width;
        }

        TOps.Sum4(c00, c01, c02, c03).Store(sums);
        TOps.Sum4(c10, c11, c12, c13).Store(sums + 4);
        TOps.Sum4(c20, c21, c22, c23).Store(sums + 8);
        TOps.Sum4(c30, c31, c32, c33).Store(sums + 12);
    }

    /// <summary>Dot products of 2 rows of A with 4 rows of W (for 16-register instruction sets).</summary>
    /// <typeparam name="TOps">Vector operations.</typeparam>
    /// <typeparam name="TVec">Vector type.</typeparam>
    /// <param name="a">First of 2 rows of A.</param>
    /// <param name="lda">Row stride of A.</param>
    /// <param name="w">First of up to 4 rows of W.</param>
    /// <param name="ldw">Row stride of W.</param>
    /// <param name="outputs">Valid rows of W (1–4).</param>
    /// <param name="k">Length of the dot products.</param>
    /// <param name="sums">Destination [2 × 4].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2x4<TOps, TVec>(float* a, nint lda, float* w, nint ldw, int outputs, int k, float* sums)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        int width = TOps.Width;
        float* a0 = a, a1 = a + lda;
        WeightRows(w, ldw, outputs, out float* w0, out float* w1, out float* w2, out float* w3);
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        float* tail = stackalloc float[6 * MaxWidth];
        int steps = Steps(k, width, out int tailStep);
        for (int s = 0; s < steps; s++)
        {
            if (s == tailStep)
            {
                int rest = k - (s * width);
                a0 = Tail(a0, rest, tail); a1 = Tail(a1, rest, tail + width);
                w0 = Tail(w0, rest, tail + (2 * width)); w1 = Tail(w1, rest, tail + (3 * width)); w2 = Tail(w2, rest, tail + (4 * width)); w3 = Tail(w3, rest, tail + (5 * width));
            }

            TVec x0 = TOps.Load(a0), x1 = TOps.Load(a1);
            TVec y = TOps.Load(w0);
            c00 = TOps.MultiplyAdd(x0, y, c00); c10 = TOps.MultiplyAdd(x1, y, c10);
            y = TOps.Load(w1);
            c01 = TOps.MultiplyAdd(x0, y, c01); c11 = TOps.MultiplyAdd(x1, y, c11);
            y = TOps.Load(w2);
            c02 = TOps.MultiplyAdd(x0, y, c02); c12 = TOps.MultiplyAdd(x1, y, c12);
            y = TOps.Load(w3);
            c03 = TOps.MultiplyAdd(x0, y, c03); c13 = TOps.MultiplyAdd(x1, y, c13);
            a0 += width; a1 += width;
            w0 += width; w1 += width; w2 += width; w3 += width;
        }

        TOps.Sum4(c00, c01, c02, c03).Store(sums);
        TOps.Sum4(c10, c11, c12, c13).Store(sums + 4);
    }

    /// <summary>Dot products of one row of A with 4 rows of W (leftover rows and one-row inference).</summary>
    /// <typeparam name="TOps">Vector operations.</typeparam>
    /// <typeparam name="TVec">Vector type.</typeparam>
    /// <param name="a">The row of A.</param>
    /// <param name="w">First of up to 4 rows of W.</param>
    /// <param name="ldw">Row stride of W.</param>
    /// <param name="outputs">Valid rows of W (1–4).</param>
    /// <param name="k">Length of the dot products.</param>
    /// <param name="sums">Destination [4].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row1x4<TOps, TVec>(float* a, float* w, nint ldw, int outputs, int k, float* sums)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        int width = TOps.Width;
        float* a0 = a;
        WeightRows(w, ldw, outputs, out float* w0, out float* w1, out float* w2, out float* w3);
        TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        float* tail = stackalloc float[5 * MaxWidth];
        int steps = Steps(k, width, out int tailStep);
        for (int s = 0; s < steps; s++)
        {
            if (s == tailStep)
            {
                int rest = k - (s * width);
                a0 = Tail(a0, rest, tail);
                w0 = Tail(w0, rest, tail + width); w1 = Tail(w1, rest, tail + (2 * width)); w2 = Tail(w2, rest, tail + (3 * width)); w3 = Tail(w3, rest, tail + (4 * width));
            }

            TVec x0 = TOps.Load(a0);
            c0 = TOps.MultiplyAdd(x0, TOps.Load(w0), c0);
            c1 = TOps.MultiplyAdd(x0, TOps.Load(w1), c1);
            c2 = TOps.MultiplyAdd(x0, TOps.Load(w2), c2);
            c3 = TOps.MultiplyAdd(x0, TOps.Load(w3), c3);
            a0 += width;
            w0 += width; w1 += width; w2 += width; w3 += width;
        }

        TOps.Sum4(c0, c1, c2, c3).Store(sums);
    }

    /// <summary>Pointers to 4 weight rows; rows past <paramref name="outputs"/> alias the first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightRows(float* w, nint ldw, int outputs, out float* w0, out float* w1, out float* w2, out float* w3)
    {
        w0 = w;
        w1 = outputs > 1 ? w + ldw : w;
        w2 = outputs > 2 ? w + (2 * ldw) : w;
        w3 = outputs > 3 ? w + (3 * ldw) : w;
    }

    /// <summary>Number of vector steps over k (a partial last one included) and the index of that partial step (−1 if none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Steps(int k, int width, out int tailStep)
    {
        int full = k / width;
        tailStep = full * width == k ? -1 : full;
        return tailStep < 0 ? full : full + 1;
    }

    /// <summary>Copies the last <paramref name="count"/> values at <paramref name="source"/> into the zeroed <paramref name="padded"/>; returns <paramref name="padded"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Tail(float* source, int count, float* padded)
    {
        for (int i = 0; i < count; i++)
        {
            padded[i] = source[i];
        }

        return padded;
    }
}
