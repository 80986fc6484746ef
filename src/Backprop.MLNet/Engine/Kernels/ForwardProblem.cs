using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// Z = f(A·Wᵀ + 1·bᵀ) as independent tasks of <see cref="DotShape.OutputsPerTask"/> outputs each (all rows),
/// computed with the dot-product micro-kernels (A and W are both contiguous along k, so nothing is packed).
/// </summary>
/// <remarks>
/// A task walks its outputs 4 at a time (4 rows of W stay in L1) and, for each group, all rows of A
/// in tiles of <see cref="DotShape.TileRows"/> rows, leftover rows one at a time. A generic
/// activation is applied to each row's <see cref="ActivationSegment"/>-wide segments, which depend only on
/// the layer width, so results do not depend on the batch size, the thread count or the <see cref="DotShape"/>.
/// </remarks>
internal unsafe struct ForwardProblem : ITunableProblem<DotShape>
{
    /// <summary>Outputs a generic activation is applied to at a time (the default outputs per task; tasks are multiples of it).</summary>
    public const int ActivationSegment = 8;

    /// <summary>Input activations A [rows × inputs].</summary>
    public float* A;

    /// <summary>Weights W [outputs × inputs].</summary>
    public float* W;

    /// <summary>Biases [outputs].</summary>
    public float* Bias;

    /// <summary>Destination Z [rows × outputs].</summary>
    public float* Z;

    /// <summary>Number of rows.</summary>
    public int Rows;

    /// <summary>Number of inputs (k).</summary>
    public int Inputs;

    /// <summary>Number of outputs.</summary>
    public int Outputs;

    /// <summary>Activation to apply, or null for none.</summary>
    public HiddenActivation? Activation;

    /// <summary>How the activation is applied.</summary>
    public EpilogueMode Mode;

    /// <summary>The micro-kernel path (chosen on the calling thread).</summary>
    public KernelIsa Isa;

    /// <summary>Rows of A per dot tile.</summary>
    private int _tileRows;

    /// <summary>Outputs per task.</summary>
    private int _outputsPerTask;

    /// <inheritdoc />
    public readonly int TaskCount => _outputsPerTask == 0 ? 0 : (Outputs + _outputsPerTask - 1) / _outputsPerTask;

    /// <inheritdoc />
    public readonly int ArenaFloats => 0;

    /// <inheritdoc />
    public readonly long Work => (long)Rows * Inputs * Outputs;

    /// <summary>
    /// Sets the tile height and outputs per task to <paramref name="shape"/> (one of <see cref="DotShape.Candidates"/>
    /// for <see cref="Isa"/>); call after setting the sizes and <see cref="Isa"/>.
    /// </summary>
    /// <param name="shape">Tile rows and outputs per task; neither changes a bit of Z.</param>
    public void Plan(DotShape shape)
    {
        _tileRows = shape.TileRows;
        _outputsPerTask = shape.OutputsPerTask;
    }

    /// <inheritdoc />
    public void LimitWork(long work) => Rows = (int)Math.Clamp(work / Math.Max(1L * Inputs * Outputs, 1), Math.Min(1, Rows), Rows);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void RunTask(int task, PackBuffer arena)
    {
        switch (Isa)
        {
            case KernelIsa.Avx512:
                RunTask<Avx512Profile>(task);
                break;
            case KernelIsa.Avx2:
                RunTask<Avx2Profile>(task);
                break;
            default:
                RunTask<PortableProfile>(task);
                break;
        }
    }

    /// <summary>Runs one task with the micro-kernels of <typeparamref name="TProfile"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void RunTask<TProfile>(int task)
        where TProfile : struct, IKernelProfile
    {
        int first = task * _outputsPerTask;
        int end = Math.Min(Outputs, first + _outputsPerTask);
        int k = Inputs;
        int n = Outputs;
        int tileRows = _tileRows;
        bool relu = Mode == EpilogueMode.Relu;
        float* sums = stackalloc float[4 * 4];
        for (int o = first; o < end; o += 4)
        {
            int count = Math.Min(4, end - o);
            float* w = W + ((nint)o * k);
            float* bias = Bias + o;
            int r = 0;
            for (; r + tileRows <= Rows; r += tileRows)
            {
                TProfile.DotTile(tileRows, A + ((nint)r * k), k, w, k, count, k, sums);
                for (int i = 0; i < tileRows; i++)
                {
                    KernelEpilogue.BiasAndActivate(sums + (4 * i), bias, Z + ((nint)(r + i) * n) + o, count, relu);
                }
            }

            for (; r < Rows; r++)
            {
                TProfile.DotRow(A + ((nint)r * k), w, k, count, k, sums);
                KernelEpilogue.BiasAndActivate(sums, bias, Z + ((nint)r * n) + o, count, relu);
            }
        }

        if (Mode == EpilogueMode.Generic)
        {
            for (int r = 0; r < Rows; r++)
            {
                for (int s = first; s < end; s += ActivationSegment)
                {
                    Activation!.Apply(new Span<float>(Z + ((nint)r * n) + s, Math.Min(ActivationSegment, end - s)));
                }
            }
        }
    }
}
