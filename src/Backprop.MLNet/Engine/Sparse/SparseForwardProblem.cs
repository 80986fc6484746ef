using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Sparse;

/// <summary>
/// The first layer on CSR rows with transposed weights: effectively computes
/// <c>z[r, :] = f(bias + Σ_k x[r, i_k]·Wᵀ[i_k, :])</c>, the sum over the row's non-zero inputs in the CSR order, so the
/// work and the memory touched are proportional to the non-zeros. Tasks are fixed chunks of rows; a row's arithmetic
/// does not depend on the chunking or the thread count.
/// </summary>
internal unsafe struct SparseForwardProblem : IKernelProblem
{
    /// <summary>Rows per task.</summary>
    public const int RowsPerTask = 8;

    /// <summary>CSR row starts [rows + 1].</summary>
    public int* RowStarts;

    /// <summary>CSR column indices.</summary>
    public int* Indices;

    /// <summary>CSR values.</summary>
    public float* Values;

    /// <summary>The weights, transposed: input i's outputs at <c>Wᵀ + i·Outputs</c>.</summary>
    public float* TransposedWeights;

    /// <summary>The bias each row starts from [outputs].</summary>
    public float* Bias;

    /// <summary>Destination [rows × outputs].</summary>
    public float* Z;

    /// <summary>Number of rows.</summary>
    public int Rows;

    /// <summary>Number of outputs.</summary>
    public int Outputs;

    /// <summary>Non-zero entries of the batch (for the work estimate).</summary>
    public long Entries;

    /// <summary>The activation applied to each finished row, or null for none.</summary>
    public HiddenActivation? Activation;

    /// <summary>How the activation is applied.</summary>
    public EpilogueMode Mode;

    /// <inheritdoc />
    public readonly int TaskCount => (Rows + RowsPerTask - 1) / RowsPerTask;

    /// <inheritdoc />
    public readonly int ArenaFloats => 0;

    /// <inheritdoc />
    public readonly long Work => Entries * Outputs;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void RunTask(int task, PackBuffer arena)
    {
        int end = Math.Min(Rows, (task + 1) * RowsPerTask);
        int n = Outputs;
        for (int r = task * RowsPerTask; r < end; r++)
        {
            float* z = Z + ((nint)r * n);
            new ReadOnlySpan<float>(Bias, n).CopyTo(new Span<float>(z, n));
            for (int k = RowStarts[r]; k < RowStarts[r + 1]; k++)
            {
                ScaledAdd.Run(Values[k], TransposedWeights + ((nint)Indices[k] * n), z, n);
            }

            if (Mode == EpilogueMode.Relu)
            {
                var row = new Span<float>(z, n);
                ElementWise.Relu(row);
            }
            else if (Mode == EpilogueMode.Generic)
            {
                Activation!.Apply(new Span<float>(z, n));
            }
        }
    }
}
