using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Sparse;

/// <summary>
/// The first layer's weight gradient on the inputs a batch touches, with transposed weights: for every touched input i,
/// effectively computes <c>∂Wᵀ[i, :] = scale·(Σ_r x[r, i]·δ[r, :] + l2·Wᵀ[i, :] − shift_i·s)</c>, where the sum runs over
/// the rows holding input i in row order (<see cref="BatchColumns"/>) and s = Σ_r δ[r, :] (the bias gradient) carries
/// the centring of the inputs. Tasks are fixed chunks of touched inputs; each gradient row is written whole by one task.
/// </summary>
internal unsafe struct SparseGradientProblem : IKernelProblem
{
    /// <summary>Touched inputs per task.</summary>
    public const int ColumnsPerTask = 64;

    /// <summary>The touched inputs, in the order of <see cref="BatchColumns.Touched"/>.</summary>
    public int* Touched;

    /// <summary>Number of touched inputs.</summary>
    public int TouchedCount;

    /// <summary>Entry starts per touched input [touched + 1] into <see cref="EntryRows"/> and <see cref="EntryValues"/>.</summary>
    public int* ColumnStarts;

    /// <summary>The row of each entry.</summary>
    public int* EntryRows;

    /// <summary>The value of each entry.</summary>
    public float* EntryValues;

    /// <summary>Output errors δ [rows × outputs] (already multiplied by the sample weights).</summary>
    public float* Delta;

    /// <summary>The weights, transposed [inputs × outputs] (read for the L2 term).</summary>
    public float* TransposedWeights;

    /// <summary>The gradient, transposed [inputs × outputs]; touched rows are overwritten, others are not touched.</summary>
    public float* Gradient;

    /// <summary>s = Σ_r δ[r, :] [outputs], or null without centring.</summary>
    public float* DeltaSum;

    /// <summary>The centring shift μ/σ of each input, or null without centring.</summary>
    public float* Shift;

    /// <summary>Number of outputs.</summary>
    public int Outputs;

    /// <summary>The L2 penalty α.</summary>
    public float L2;

    /// <summary>The factor of the whole row (1 / the batch's weight).</summary>
    public float Scale;

    /// <summary>Entries of the batch (for the work estimate).</summary>
    public long Entries;

    /// <inheritdoc />
    public readonly int TaskCount => (TouchedCount + ColumnsPerTask - 1) / ColumnsPerTask;

    /// <inheritdoc />
    public readonly int ArenaFloats => 0;

    /// <inheritdoc />
    public readonly long Work => (Entries + (2L * TouchedCount)) * Outputs;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void RunTask(int task, PackBuffer arena)
    {
        int end = Math.Min(TouchedCount, (task + 1) * ColumnsPerTask);
        int n = Outputs;
        for (int t = task * ColumnsPerTask; t < end; t++)
        {
            int input = Touched[t];
            float* g = Gradient + ((nint)input * n);
            Start(input, g, n);
            for (int k = ColumnStarts[t]; k < ColumnStarts[t + 1]; k++)
            {
                ScaledAdd.Run(Scale * EntryValues[k], Delta + ((nint)EntryRows[k] * n), g, n);
            }
        }
    }

    /// <summary>
    /// Starts gradient row <paramref name="input"/> with its L2 and centring terms, already scaled:
    /// <c>g = (scale·l2)·Wᵀ[input, :] − (scale·shift_input)·s</c>. The data term is added to it after.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly void Start(int input, float* g, int n)
    {
        var row = new Span<float>(g, n);
        ElementWise.Multiply(new ReadOnlySpan<float>(TransposedWeights + ((nint)input * n), n), Scale * L2, row);
        if (Shift is not null && Shift[input] != 0f)
        {
            ScaledAdd.Run(-Scale * Shift[input], DeltaSum, g, n);
        }
    }
}
