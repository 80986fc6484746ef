using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// C [m × n] = A·B with B row-major [k × n] and A read through strides (row-major or transposed), finished by
/// nothing, by C ⊙= f′(activated) (the input gradient) or by C = f(C + 1·biasᵀ) (a forward product over weights held
/// [inputs × outputs], <see cref="DenseForwardKernel.ComputeTransposed"/>). Used by both backward products and that forward one.
/// </summary>
/// <remarks>
/// A task owns one vertical panel of C (<see cref="GemmShape.PanelColumns"/> columns) and one
/// chunk of its rows: it copies its panel of B into the thread's <see cref="PackBuffer"/> as a
/// contiguous [k × NR] block (zero-padded on the right edge), then sweeps the chunk in tiles of
/// <see cref="GemmMicroKernels.Rows"/> rows while the panel stays in cache. Each element of C is one
/// multiply–add chain over k in order, so the tiling (the <see cref="GemmShape"/>, whatever
/// <see cref="KernelTuner"/> picks) never changes a result.
/// </remarks>
internal unsafe struct PanelGemmProblem : ITunableProblem<GemmShape>
{
    /// <summary>Left operand: element (i, p) is at A[i·RowStrideA + p·SumStrideA].</summary>
    public float* A;

    /// <summary>Stride between rows of A.</summary>
    public nint RowStrideA;

    /// <summary>Stride between successive summation indices of A.</summary>
    public nint SumStrideA;

    /// <summary>Right operand B, row-major [k × n].</summary>
    public float* B;

    /// <summary>Destination C, row-major [m × n]; overwritten.</summary>
    public float* C;

    /// <summary>Activations for the derivative epilogue, same layout as C (or null).</summary>
    public float* Activated;

    /// <summary>Rows of C.</summary>
    public int M;

    /// <summary>Columns of C (and of B).</summary>
    public int N;

    /// <summary>Length of the sums (rows of B).</summary>
    public int K;

    /// <summary>
    /// Biases [n] of a forward product: when set, every row of C becomes f(C + bias) with f = <see cref="Activation"/>;
    /// null for the backward products.
    /// </summary>
    public float* Bias;

    /// <summary>
    /// With <see cref="Bias"/>, the activation applied to C + bias; without, the activation whose derivative multiplies C;
    /// null for none.
    /// </summary>
    public HiddenActivation? Activation;

    /// <summary>How <see cref="Activation"/> (or its derivative) is applied.</summary>
    public EpilogueMode Mode;

    /// <summary>The micro-kernel path (chosen on the calling thread).</summary>
    public KernelIsa Isa;

    /// <summary>Number of column panels of C.</summary>
    private int _panels;

    /// <summary>Number of row chunks each panel is split into.</summary>
    private int _chunks;

    /// <summary>Rows per chunk (a multiple of the tile height).</summary>
    private int _chunkRows;

    /// <summary>Columns per panel (2 or 4 vectors of the path).</summary>
    private int _columns;

    /// <inheritdoc />
    public readonly int TaskCount => _panels * _chunks;

    /// <inheritdoc />
    public readonly int ArenaFloats => (K + GemmMicroKernels.Rows) * _columns;

    /// <inheritdoc />
    public readonly long Work => (long)M * N * K;

    /// <summary>
    /// Splits the problem into tasks of <paramref name="shape"/> (one of <see cref="GemmShape.Candidates"/> for
    /// <see cref="Isa"/>); call after setting the sizes and <see cref="Isa"/>.
    /// </summary>
    /// <param name="shape">Panel width and target task count; none changes a bit of C.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Plan(GemmShape shape)
    {
        _columns = shape.PanelColumns;
        _panels = M == 0 ? 0 : (N + _columns - 1) / _columns;
        int tiles = (M + GemmMicroKernels.Rows - 1) / GemmMicroKernels.Rows;
        int chunks = Math.Clamp((shape.TargetTasks + _panels - 1) / Math.Max(_panels, 1), 1, Math.Max(1, tiles / 2));
        _chunkRows = ((tiles + chunks - 1) / chunks) * GemmMicroKernels.Rows;
        _chunks = M == 0 ? 0 : (M + _chunkRows - 1) / _chunkRows;
    }

    /// <inheritdoc />
    public void LimitWork(long work) => M = (int)Math.Clamp(work / Math.Max(1L * N * K, 1), Math.Min(1, M), M);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void RunTask(int task, PackBuffer arena)
    {
        switch (Isa)
        {
            case KernelIsa.Avx512:
                RunTask<Avx512Profile>(task, arena);
                break;
            case KernelIsa.Avx2:
                RunTask<Avx2Profile>(task, arena);
                break;
            default:
                RunTask<PortableProfile>(task, arena);
                break;
        }
    }

    /// <summary>Runs one task with the micro-kernels of <typeparamref name="TProfile"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void RunTask<TProfile>(int task, PackBuffer arena)
        where TProfile : struct, IKernelProfile
    {
        int nr = _columns;
        int n0 = (task / _chunks) * nr;
        int m0 = (task % _chunks) * _chunkRows;
        int m1 = Math.Min(M, m0 + _chunkRows);
        int columns = Math.Min(nr, N - n0);
        // A whole panel is read where B holds it; the right edge's narrower one is copied and zero-padded.
        bool inPlace = columns == nr;
        float* tile = arena.Pointer + ((nint)K * nr);
        float* panel = inPlace ? B + n0 : arena.Pointer;
        nint ldb = inPlace ? N : nr;
        if (!inPlace)
        {
            Pack(panel, nr, n0, columns);
        }

        for (int m = m0; m < m1; m += GemmMicroKernels.Rows)
        {
            int rows = Math.Min(GemmMicroKernels.Rows, m1 - m);
            float* c = C + ((nint)m * N) + n0;
            TProfile.GemmTile(nr, A + (m * RowStrideA), RowStrideA, SumStrideA, rows, panel, ldb, K, c, N, columns, tile);
            if (Bias is not null)
            {
                FinishForward(c, rows, n0, columns);
            }
            else if (Mode != EpilogueMode.None)
            {
                for (int i = 0; i < rows; i++)
                {
                    float* a = Activated + ((nint)(m + i) * N) + n0;
                    if (Mode == EpilogueMode.Relu)
                    {
                        KernelEpilogue.ReluMask(a, c + ((nint)i * N), columns);
                    }
                    else
                    {
                        Activation!.MultiplyByDerivative(new ReadOnlySpan<float>(a, columns), new Span<float>(c + ((nint)i * N), columns));
                    }
                }
            }
        }
    }

    /// <summary>
    /// A forward tile's rows become f(C + bias). A generic activation sees segments of
    /// <see cref="ForwardProblem.ActivationSegment"/> outputs counted from output 0 (panels are multiples of it), so what it
    /// computes does not depend on the panel width the tuner picked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void FinishForward(float* c, int rows, int n0, int columns)
    {
        float* bias = Bias + n0;
        for (int i = 0; i < rows; i++)
        {
            float* z = c + ((nint)i * N);
            KernelEpilogue.AddBiasAndActivate(z, bias, columns, Mode == EpilogueMode.Relu);
            if (Mode == EpilogueMode.Generic)
            {
                for (int s = 0; s < columns; s += ForwardProblem.ActivationSegment)
                {
                    Activation!.Apply(new Span<float>(z + s, Math.Min(ForwardProblem.ActivationSegment, columns - s)));
                }
            }
        }
    }

    /// <summary>Copies columns [n0, n0 + columns) of B into a contiguous [K × nr] panel, zero-padding the right edge.</summary>
    private readonly void Pack(float* panel, int nr, int n0, int columns)
    {
        float* source = B + n0;
        uint bytes = (uint)(columns * sizeof(float));
        for (int p = 0; p < K; p++)
        {
            float* destination = panel + ((nint)p * nr);
            if (columns == nr)
            {
                Unsafe.CopyBlockUnaligned(destination, source, (uint)(nr * sizeof(float)));
            }
            else
            {
                Unsafe.CopyBlockUnaligned(destination, source, bytes);
                new Span<float>(destination + columns, nr - columns).Clear();
            }

            source += N;
        }
    }
}
