using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Engine.Inference;

/// <summary>A count known when the JIT specialises a generic kernel (so loops over it unroll and unused code drops out).</summary>
internal interface IFixedCount
{
    /// <summary>The count.</summary>
    static abstract int Value { get; }
}

/// <summary>1.</summary>
internal readonly struct Count1 : IFixedCount
{
    /// <inheritdoc />
    public static int Value => 1;
}

/// <summary>2.</summary>
internal readonly struct Count2 : IFixedCount
{
    /// <inheritdoc />
    public static int Value => 2;
}

/// <summary>3.</summary>
internal readonly struct Count3 : IFixedCount
{
    /// <inheritdoc />
    public static int Value => 3;
}

/// <summary>4.</summary>
internal readonly struct Count4 : IFixedCount
{
    /// <inheritdoc />
    public static int Value => 4;
}

/// <summary>5.</summary>
internal readonly struct Count5 : IFixedCount
{
    /// <inheritdoc />
    public static int Value => 5;
}

/// <summary>6.</summary>
internal readonly struct Count6 : IFixedCount
{
    /// <inheritdoc />
    public static int Value => 6;
}

/// <summary>
/// Micro-kernels of the inference forward pass over packed weight panels (see <see cref="PackedNetwork"/>):
/// <c>z[r, j] = f(Σ_k a[r, k]·p[k, j] + bias[j])</c>, with one vector accumulator per row and group of outputs,
/// filled by broadcasting one input and multiply–adding one contiguous row of the panel per step of k.
/// </summary>
/// <remarks>
/// Every output is one multiply–add chain in increasing k, started from +0, whichever kernel, tile, batch or
/// thread computes it, and the bias and ReLU are applied the same way afterwards. So one row scored alone gets
/// the bits it gets inside any batch. The sparse kernel visits only the inputs a row lists (a dense row alone lists its
/// non-zero inputs; a sparse batch lists its stored entries): skipping a term 0·w adds ±0 to a chain that started at +0,
/// which never changes its value (a chain cannot become −0, and the weights are finite), so skipping is exact, not an
/// approximation, and a listed zero changes nothing either.
/// The kernels are compiled fully optimised on first use (AggressiveOptimization): many of their instantiations (the
/// leftover-row tiles, the narrow last panels) run a few times per block, so with tiered compilation they would stay
/// in unoptimised code for hundreds of blocks, measurably slowing the first seconds of scoring.
/// </remarks>
internal static unsafe class PanelMicroKernels
{
    /// <summary>
    /// <typeparamref name="TRows"/> rows × <typeparamref name="TVecs"/> vectors of outputs, over all k.
    /// </summary>
    /// <typeparam name="TOps">Vector operations.</typeparam>
    /// <typeparam name="TVec">Vector type.</typeparam>
    /// <typeparam name="TRows">Rows (1–6).</typeparam>
    /// <typeparam name="TVecs">Vectors of outputs (1–4).</typeparam>
    /// <param name="a">First row of inputs.</param>
    /// <param name="lda">Row stride of the inputs.</param>
    /// <param name="k">Number of inputs.</param>
    /// <param name="w">Panel column of the first output, row k at <c>w + k·ldw</c>.</param>
    /// <param name="ldw">Row stride of the panel (its width).</param>
    /// <param name="bias">Biases of the outputs (padded to whole vectors).</param>
    /// <param name="z">Destination of the first row's first output.</param>
    /// <param name="ldz">Row stride of the destination.</param>
    /// <param name="valid">Outputs to store (the rest of the last vector is padding).</param>
    /// <param name="relu">True to store max(·, 0).</param>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TOps, TVec, TRows, TVecs>(float* a, nint lda, int k, float* w, nint ldw, float* bias, float* z, nint ldz, int valid, bool relu)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
        where TRows : struct, IFixedCount
        where TVecs : struct, IFixedCount
    {
        int width = TOps.Width;
        int rows = TRows.Value, vecs = TVecs.Value;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        TVec c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c43 = TOps.Zero;
        TVec c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero, c53 = TOps.Zero;
        float* a0 = a, a1 = a + lda, a2 = a + (2 * lda), a3 = a + (3 * lda), a4 = a + (4 * lda), a5 = a + (5 * lda);
        for (int i = 0; i < k; i++)
        {
            float* wi = w + (i * ldw);
            TVec w0 = TOps.Load(wi);
            TVec w1 = vecs > 1 ? TOps.Load(wi + width) : default;
            TVec w2 = vecs > 2 ? TOps.Load(wi + (2 * width)) : default;
            TVec w3 = vecs > 3 ? TOps.Load(wi + (3 * width)) : default;
            TVec x = TOps.Broadcast(a0[i]);
            c00 = TOps.MultiplyAdd(x, w0, c00);
            if (vecs > 1)
            {
                c01 = TOps.MultiplyAdd(x, w1, c01);
            }

            if (vecs > 2)
            {
                c02 = TOps.MultiplyAdd(x, w2, c02);
            }

            if (vecs > 3)
            {
                c03 = TOps.MultiplyAdd(x, w3, c03);
            }

            if (rows > 1)
            {
                x = TOps.Broadcast(a1[i]);
                c10 = TOps.MultiplyAdd(x, w0, c10);
                if (vecs > 1)
                {
                    c11 = TOps.MultiplyAdd(x, w1, c11);
                }

                if (vecs > 2)
                {
                    c12 = TOps.MultiplyAdd(x, w2, c12);
                }

                if (vecs > 3)
                {
                    c13 = TOps.MultiplyAdd(x, w3, c13);
                }
            }

            if (rows > 2)
            {
                x = TOps.Broadcast(a2[i]);
                c20 = TOps.MultiplyAdd(x, w0, c20);
                if (vecs > 1)
                {
                    c21 = TOps.MultiplyAdd(x, w1, c21);
                }

                if (vecs > 2)
                {
                    c22 = TOps.MultiplyAdd(x, w2, c22);
                }

                if (vecs > 3)
                {
                    c23 = TOps.MultiplyAdd(x, w3, c23);
                }
            }

            if (rows > 3)
            {
                x = TOps.Broadcast(a3[i]);
                c30 = TOps.MultiplyAdd(x, w0, c30);
                if (vecs > 1)
                {
                    c31 = TOps.MultiplyAdd(x, w1, c31);
                }

                if (vecs > 2)
                {
                    c32 = TOps.MultiplyAdd(x, w2, c32);
                }

                if (vecs > 3)
                {
                    c33 = TOps.MultiplyAdd(x, w3, c33);
                }
            }

            if (rows > 4)
            {
                x = TOps.Broadcast(a4[i]);
                c40 = TOps.MultiplyAdd(x, w0, c40);
                if (vecs > 1)
                {
                    c41 = TOps.MultiplyAdd(x, w1, c41);
                }

                if (vecs > 2)
                {
                    c42 = TOps.MultiplyAdd(x, w2, c42);
                }

                if (vecs > 3)
                {
                    c43 = TOps.MultiplyAdd(x, w3, c43);
                }
            }

            if (rows > 5)
            {
                x = TOps.Broadcast(a5[i]);
                c50 = TOps.MultiplyAdd(x, w0, c50);
                if (vecs > 1)
                {
                    c51 = TOps.MultiplyAdd(x, w1, c51);
                }

                if (vecs > 2)
                {
                    c52 = TOps.MultiplyAdd(x, w2, c52);
                }

                if (vecs > 3)
                {
                    c53 = TOps.MultiplyAdd(x, w3, c53);
                }
            }
        }

        // The accumulators go to the stack first and the epilogue runs out of line: a call made while they are live
        // would make the JIT keep them in memory inside the loop (every vector register is caller-saved).
        float* sums = stackalloc float[6 * 4 * 16];
        Spill<TOps, TVec, TVecs>(c00, c01, c02, c03, sums);
        if (rows > 1)
        {
            Spill<TOps, TVec, TVecs>(c10, c11, c12, c13, sums + (4 * width));
        }

        if (rows > 2)
        {
            Spill<TOps, TVec, TVecs>(c20, c21, c22, c23, sums + (8 * width));
        }

        if (rows > 3)
        {
            Spill<TOps, TVec, TVecs>(c30, c31, c32, c33, sums + (12 * width));
        }

        if (rows > 4)
        {
            Spill<TOps, TVec, TVecs>(c40, c41, c42, c43, sums + (16 * width));
        }

        if (rows > 5)
        {
            Spill<TOps, TVec, TVecs>(c50, c51, c52, c53, sums + (20 * width));
        }

        Finish<TOps, TVec>(sums, 4 * width, rows, vecs, bias, z, ldz, valid, relu);
    }

    /// <summary>
    /// One row × <typeparamref name="TVecs"/> vectors of outputs, over the row's listed inputs only (one CSR row: input
    /// <c>indices[j]</c> has the value <c>values[j]</c>, the indices increasing, every input not listed zero). The same
    /// chain as <see cref="Tile{TOps, TVec, TRows, TVecs}"/> minus the terms of zero inputs, so the same bits.
    /// </summary>
    /// <typeparam name="TOps">Vector operations.</typeparam>
    /// <typeparam name="TVec">Vector type.</typeparam>
    /// <typeparam name="TVecs">Vectors of outputs (1–4).</typeparam>
    /// <typeparam name="TSource">Where the listed inputs' values are read.</typeparam>
    /// <param name="values">The values of the listed inputs (<typeparamref name="TSource"/> <see cref="Listed"/>), or the whole dense row they come from (<see cref="Gathered"/>).</param>
    /// <param name="indices">Their input indices, strictly increasing, each below the panel's height.</param>
    /// <param name="count">Number of listed inputs.</param>
    /// <param name="w">Panel column of the first output, row k at <c>w + k·ldw</c>.</param>
    /// <param name="ldw">Row stride of the panel.</param>
    /// <param name="bias">Biases of the outputs (padded to whole vectors).</param>
    /// <param name="z">Destination of the first output.</param>
    /// <param name="valid">Outputs to store.</param>
    /// <param name="relu">True to store max(·, 0).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SparseRow<TOps, TVec, TVecs, TSource>(float* values, int* indices, int count, float* w, nint ldw, float* bias, float* z, int valid, bool relu)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
        where TVecs : struct, IFixedCount
        where TSource : struct, IValueSource
    {
        int width = TOps.Width;
        int vecs = TVecs.Value;
        TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        for (int j = 0; j < count; j++)
        {
            float* wi = w + (indices[j] * ldw);
            TVec v = TOps.Broadcast(TSource.Value(values, indices, j));
            c0 = TOps.MultiplyAdd(v, TOps.Load(wi), c0);
            if (vecs > 1)
            {
                c1 = TOps.MultiplyAdd(v, TOps.Load(wi + width), c1);
            }

            if (vecs > 2)
            {
                c2 = TOps.MultiplyAdd(v, TOps.Load(wi + (2 * width)), c2);
            }

            if (vecs > 3)
            {
                c3 = TOps.MultiplyAdd(v, TOps.Load(wi + (3 * width)), c3);
            }
        }

        float* sums = stackalloc float[4 * 16];
        Spill<TOps, TVec, TVecs>(c0, c1, c2, c3, sums);
        Finish<TOps, TVec>(sums, 4 * width, 1, vecs, bias, z, 0, valid, relu);
    }

    /// <summary>Stores the <typeparamref name="TVecs"/> accumulators of one row contiguously at <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Spill<TOps, TVec, TVecs>(TVec c0, TVec c1, TVec c2, TVec c3, float* sums)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
        where TVecs : struct, IFixedCount
    {
        int width = TOps.Width;
        int vecs = TVecs.Value;
        TOps.Store(c0, sums);
        if (vecs > 1)
        {
            TOps.Store(c1, sums + width);
        }

        if (vecs > 2)
        {
            TOps.Store(c2, sums + (2 * width));
        }

        if (vecs > 3)
        {
            TOps.Store(c3, sums + (3 * width));
        }
    }

    /// <summary>
    /// For each of <paramref name="rows"/> rows of raw sums (stride <paramref name="lds"/>): adds the biases, applies ReLU
    /// if asked, and stores the first <paramref name="valid"/> outputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Finish<TOps, TVec>(float* sums, int lds, int rows, int vecs, float* bias, float* z, nint ldz, int valid, bool relu)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        int width = TOps.Width;
        for (int r = 0; r < rows; r++)
        {
            for (int v = 0; v < vecs; v++)
            {
                Store<TOps, TVec>(TOps.Load(sums + (r * lds) + (v * width)), bias + (v * width), z + (r * ldz) + (v * width), valid - (v * width), relu);
            }
        }
    }

    /// <summary>Stores one vector of outputs, or its first <paramref name="valid"/> lanes when fewer than a vector remain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TOps, TVec>(TVec c, float* bias, float* z, int valid, bool relu)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        TVec value = TOps.Add(c, TOps.Load(bias));
        if (relu)
        {
            value = TOps.Relu(value);
        }

        if (valid >= TOps.Width)
        {
            TOps.Store(value, z);
        }
        else if (valid > 0)
        {
            StorePart<TOps, TVec>(value, z, valid);
        }
    }

    /// <summary>Stores the first <paramref name="count"/> lanes of <paramref name="value"/>.</summary>
    private static void StorePart<TOps, TVec>(TVec value, float* z, int count)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        float* lanes = stackalloc float[16];
        TOps.Store(value, lanes);
        for (int j = 0; j < count; j++)
        {
            z[j] = lanes[j];
        }
    }
}
