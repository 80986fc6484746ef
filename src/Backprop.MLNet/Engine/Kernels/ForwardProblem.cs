using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// Z = f(A·Wᵀ + 1·bᵀ) as independent tasks of <see cref="OutputsPerTask"/> outputs each (all rows),
/// computed with the dot-product micro-kernels (A and W are both contiguous along k, so nothing is packed).
/// </summary>
/// <remarks>
/// A task walks its outputs 4 at a time (4 rows of W stay in L1) and, for each group, all rows of A
/// in tiles of <see cref="IKernelProfile.DotRows"/> rows, leftover rows one at a time. A generic
/// activation is applied to each row's <see cref="OutputsPerTask"/>-wide segment, which depends only on
/// the layer width, so results do not depend on the batch size or the thread count.
/// </remarks>
internal unsafe struct ForwardProblem : IKernelProblem
{
    /// <summary>Outputs per task.</summary>
    public const int OutputsPerTask = 8;

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

    /// <inheritdoc />
    public readonly int TaskCount => (Outputs + OutputsPerTask - 1) / OutputsPerTask;

    /// <inheritdoc />
    public readonly int ArenaFloats => 0;

    /// <inheritdoc />
    public readonly long Work => (long)Rows * Inputs * Outputs;

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
        int first = task * OutputsPerTask;
        int end = Math.Min(Outputs, first + OutputsPerTask);
        int k = Inputs;
        int n = Outputs;
        int tileRows = TProfile.DotRows;
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
                TProfile.DotTile(A + ((nint)r * k), k, w, k, count, k, sums);
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
                Activation!.Apply(new Span<float>(Z + ((nint)r * n) + first, end - first));
            }
        }
    }
}
