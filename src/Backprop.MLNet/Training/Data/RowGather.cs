using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Copies the dense rows of a shuffled minibatch, <c>destination[r] = source[order[r]]</c>, as tasks of
/// <see cref="RowsPerTask"/> rows over the kernel pool: the rows come from anywhere in a matrix far larger than the caches,
/// so one thread waits on memory most of the time, and two fetch about twice as fast (a copy: the same bits on any
/// number of threads).
/// </summary>
internal unsafe struct RowGather : IKernelProblem
{
    /// <summary>Rows per task.</summary>
    public const int RowsPerTask = 16;

    /// <summary>The whole matrix, row-major.</summary>
    public float* Source;

    /// <summary>The batch's row numbers in <see cref="Source"/>.</summary>
    public int* Order;

    /// <summary>The batch, row-major [<see cref="Rows"/> × <see cref="Width"/>].</summary>
    public float* Destination;

    /// <summary>Rows in the batch.</summary>
    public int Rows;

    /// <summary>Floats per row.</summary>
    public int Width;

    /// <inheritdoc />
    public readonly int TaskCount => (Rows + RowsPerTask - 1) / RowsPerTask;

    /// <inheritdoc />
    public readonly int ArenaFloats => 0;

    /// <inheritdoc />
    /// <remarks>A float fetched from memory counted as 4 multiply–adds, so a FMNIST batch (128 × 784) is split and a small one is not.</remarks>
    public readonly long Work => 4L * Rows * Width;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void RunTask(int task, PackBuffer arena)
    {
        int end = Math.Min(Rows, (task + 1) * RowsPerTask);
        for (int r = task * RowsPerTask; r < end; r++)
        {
            new ReadOnlySpan<float>(Source + ((long)Order[r] * Width), Width).CopyTo(new Span<float>(Destination + ((long)r * Width), Width));
        }
    }
}
