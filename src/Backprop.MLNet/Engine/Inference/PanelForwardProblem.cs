using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Inference;

/// <summary>
/// One layer of <see cref="PackedNetwork"/>'s forward pass: Z = f(A·Wᵀ + b) over packed weight panels, as tasks of one
/// panel × up to <see cref="RowsPerTask"/> rows each, the inputs A dense or in CSR form.
/// </summary>
/// <remarks>
/// Dense rows: a task runs tiles of <see cref="IKernelProfile"/>-sized row groups (6 rows with AVX-512 and AVX2, 3 with
/// 128-bit vectors) and the leftover rows with a smaller tile. CSR rows (<see cref="RowStarts"/> given: a sparse first
/// layer, or one dense row given as the list of its non-zero inputs): each row on its own with the sparse kernel, over
/// its listed inputs only. All give every output the same bits (see <see cref="PanelMicroKernels"/>), and the partition
/// into tasks depends only on the shape, so the thread count changes nothing.
/// A generic activation is applied to each row's panel segment, whose bounds depend only on the layer width.
/// </remarks>
internal unsafe struct PanelForwardProblem : IKernelProblem
{
    /// <summary>Rows per task (a multiple of every tile height).</summary>
    public const int RowsPerTask = 48;

    /// <summary>Input activations A [rows × inputs], when the rows are dense (<see cref="RowStarts"/> null).</summary>
    public float* A;

    /// <summary>The layer's packed panels and padded biases.</summary>
    public PackedNetwork.Layer Layer;

    /// <summary>Start of the packed buffer the layer's offsets refer to.</summary>
    public float* Packed;

    /// <summary>Destination Z [rows × outputs].</summary>
    public float* Z;

    /// <summary>Number of rows.</summary>
    public int Rows;

    /// <summary>
    /// CSR rows instead of <see cref="A"/>: <see cref="Rows"/> + 1 offsets into <see cref="Indices"/> and <see cref="Values"/>
    /// (row r lists entries RowStarts[r] ≤ k &lt; RowStarts[r + 1]); null for dense rows.
    /// </summary>
    public int* RowStarts;

    /// <summary>CSR input indices, strictly increasing within a row, each below the layer's inputs.</summary>
    public int* Indices;

    /// <summary>CSR input values; or, with <see cref="ValuesAreDenseRow"/>, the one dense row whose non-zero inputs <see cref="Indices"/> lists.</summary>
    public float* Values;

    /// <summary>Whether <see cref="Values"/> is a whole dense row (one row alone) read at the listed indices.</summary>
    public bool ValuesAreDenseRow;

    /// <summary>Activation to apply, or null for none.</summary>
    public HiddenActivation? Activation;

    /// <summary>How the activation is applied.</summary>
    public EpilogueMode Mode;

    /// <summary>The micro-kernel path (chosen on the calling thread).</summary>
    public KernelIsa Isa;

    /// <summary>Row chunks of <see cref="RowsPerTask"/>.</summary>
    private readonly int Chunks => (Rows + RowsPerTask - 1) / RowsPerTask;

    /// <inheritdoc />
    public readonly int TaskCount => Layer.PanelCount * Chunks;

    /// <inheritdoc />
    public readonly int ArenaFloats => 0;

    /// <inheritdoc />
    /// <remarks>
    /// A CSR row is bound by streaming the panel rows of its listed inputs (each weight read used once), which costs about
    /// as much per weight as 4 multiply–adds of a blocked product, so each listed entry is counted that way: one wide
    /// enough row is then split over threads, each streaming its panels from its own core's cache, while a row of a few
    /// entries stays on the caller.
    /// </remarks>
    public readonly long Work => RowStarts == null
        ? (long)Rows * Layer.Inputs * Layer.Outputs
        : SparseWork(RowStarts[Rows] - RowStarts[0], Layer.Outputs);

    /// <summary>The <see cref="Work"/> of CSR rows holding <paramref name="entries"/> entries in all, into <paramref name="outputs"/> outputs.</summary>
    /// <param name="entries">Listed inputs, summed over the rows.</param>
    /// <param name="outputs">The layer's outputs.</param>
    public static long SparseWork(long entries, int outputs) => entries * outputs * 4;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void RunTask(int task, PackBuffer arena)
    {
        int chunks = Chunks;
        int panel = task / chunks;
        int first = (task % chunks) * RowsPerTask;
        int end = Math.Min(Rows, first + RowsPerTask);
        switch (Isa)
        {
            case KernelIsa.Avx512:
                RunPanel<Vector512Ops, System.Runtime.Intrinsics.Vector512<float>>(panel, first, end, tileRows: 6, tileVectors: 0);
                break;
            case KernelIsa.Avx2:
                RunPanel<Vector256Ops, System.Runtime.Intrinsics.Vector256<float>>(panel, first, end, tileRows: 6, tileVectors: 2);
                break;
            default:
                RunPanel<Vector128Ops, System.Runtime.Intrinsics.Vector128<float>>(panel, first, end, tileRows: 3, tileVectors: 4);
                break;
        }

        if (Mode == EpilogueMode.Generic)
        {
            int column = panel * PackedNetwork.PanelWidth;
            int valid = Math.Min(PackedNetwork.PanelWidth, Layer.Outputs - column);
            for (int r = first; r < end; r++)
            {
                Activation!.Apply(new Span<float>(Z + ((nint)r * Layer.Outputs) + column, valid));
            }
        }
    }

    /// <summary>
    /// Rows [<paramref name="first"/>, <paramref name="end"/>) of one panel: dense rows in tiles of <paramref name="tileRows"/>
    /// rows × <paramref name="tileVectors"/> vectors of outputs (0: the whole panel), CSR rows in calls of
    /// <see cref="RowVectors"/> vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void RunPanel<TOps, TVec>(int panel, int first, int end, int tileRows, int tileVectors)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        int k = Layer.Inputs, n = Layer.Outputs;
        int width = Layer.PanelWidthOf(panel);
        int column = panel * PackedNetwork.PanelWidth;
        float* weights = Packed + Layer.PanelOffset(panel);
        float* bias = Packed + Layer.BiasOffset + column;
        bool relu = Mode == EpilogueMode.Relu;
        // A CSR row is one row: its kernel holds only as many accumulators as vectors per call, and each is one chain of
        // dependent multiply-adds, so it takes the most the kernel has (4) whatever the tile width of the dense path; with
        // 2 (AVX2's tile width) a row waited on the multiply-add latency and read its list of inputs twice as often.
        int vectors = RowStarts != null ? RowVectors(width / TOps.Width) : tileVectors == 0 ? width / TOps.Width : tileVectors;
        int step = vectors * TOps.Width;
        for (int c = 0; c < width; c += step)
        {
            float* w = weights + c;
            float* b = bias + c;
            int valid = Math.Min(step, n - column - c);
            if (valid <= 0)
            {
                break;
            }

            if (RowStarts != null)
            {
                for (int row = first; row < end; row++)
                {
                    int start = RowStarts[row];
                    float* z = Z + ((nint)row * n) + column + c;
                    if (ValuesAreDenseRow)
                    {
                        SparseRow<TOps, TVec, Gathered>(vectors, Values, Indices + start, RowStarts[row + 1] - start, w, width, b, z, valid, relu);
                    }
                    else
                    {
                        SparseRow<TOps, TVec, Listed>(vectors, Values + start, Indices + start, RowStarts[row + 1] - start, w, width, b, z, valid, relu);
                    }
                }

                continue;
            }

            int r = first;
            for (; r + tileRows <= end; r += tileRows)
            {
                Tile<TOps, TVec>(tileRows, vectors, A + ((nint)r * k), k, w, width, b, Z + ((nint)r * n) + column + c, n, valid, relu);
            }

            if (r < end)
            {
                Tile<TOps, TVec>(end - r, vectors, A + ((nint)r * k), k, w, width, b, Z + ((nint)r * n) + column + c, n, valid, relu);
            }
        }
    }

    /// <summary>
    /// Vectors per call of a CSR row over a panel of <paramref name="panelVectors"/> vectors: the whole panel when the
    /// kernel holds it (1–4), else the largest of 4, 2, 1 that divides it (so calls never read past the panel).
    /// </summary>
    /// <param name="panelVectors">The panel's width in vectors.</param>
    /// <returns>Vectors per call.</returns>
    internal static int RowVectors(int panelVectors) =>
        panelVectors <= 4 ? panelVectors : panelVectors % 4 == 0 ? 4 : panelVectors % 2 == 0 ? 2 : 1;

    /// <summary>Dispatches one CSR row to the sparse kernel specialised for <paramref name="vectors"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SparseRow<TOps, TVec, TSource>(int vectors, float* values, int* indices, int count, float* w, nint ldw, float* b, float* z, int valid, bool relu)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
        where TSource : struct, IValueSource
    {
        switch (vectors)
        {
            case 1: PanelMicroKernels.SparseRow<TOps, TVec, Count1, TSource>(values, indices, count, w, ldw, b, z, valid, relu); break;
            case 2: PanelMicroKernels.SparseRow<TOps, TVec, Count2, TSource>(values, indices, count, w, ldw, b, z, valid, relu); break;
            case 3: PanelMicroKernels.SparseRow<TOps, TVec, Count3, TSource>(values, indices, count, w, ldw, b, z, valid, relu); break;
            default: PanelMicroKernels.SparseRow<TOps, TVec, Count4, TSource>(values, indices, count, w, ldw, b, z, valid, relu); break;
        }
    }

    /// <summary>Dispatches to the tile kernel specialised for <paramref name="rows"/> × <paramref name="vectors"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TOps, TVec>(int rows, int vectors, float* a, nint lda, float* w, nint ldw, float* b, float* z, nint ldz, int valid, bool relu)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        int k = (int)lda;
        switch (vectors)
        {
            case 1: TileRows<TOps, TVec, Count1>(rows, a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
            case 2: TileRows<TOps, TVec, Count2>(rows, a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
            case 3: TileRows<TOps, TVec, Count3>(rows, a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
            default: TileRows<TOps, TVec, Count4>(rows, a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
        }
    }

    /// <summary>Dispatches on the row count of a tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileRows<TOps, TVec, TVecs>(int rows, float* a, nint lda, int k, float* w, nint ldw, float* b, float* z, nint ldz, int valid, bool relu)
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
        where TVecs : struct, IFixedCount
    {
        switch (rows)
        {
            case 1: PanelMicroKernels.Tile<TOps, TVec, Count1, TVecs>(a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
            case 2: PanelMicroKernels.Tile<TOps, TVec, Count2, TVecs>(a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
            case 3: PanelMicroKernels.Tile<TOps, TVec, Count3, TVecs>(a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
            case 4: PanelMicroKernels.Tile<TOps, TVec, Count4, TVecs>(a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
            case 5: PanelMicroKernels.Tile<TOps, TVec, Count5, TVecs>(a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
            default: PanelMicroKernels.Tile<TOps, TVec, Count6, TVecs>(a, lda, k, w, ldw, b, z, ldz, valid, relu); break;
        }
    }
}
