using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Optimizers;

/// <summary>
/// One Adam step over the parameter vector, split into fixed chunks that the kernel worker pool may run on several
/// threads (each element's update depends on that element only, so the split never changes a result):
/// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; p ← p − η_t·m / (√v + ε), with η_t the bias-corrected step size.
/// With <see cref="Rows"/> set, only those rows of <see cref="RowWidth"/> floats and the parameters from
/// <see cref="TailStart"/> on are updated (a lazy step, see <see cref="ParameterSubset"/>).
/// </summary>
internal unsafe struct AdamUpdate : IKernelProblem
{
    private const int ChunkFloats = 16384;

    /// <summary>Rows of a lazy step per task.</summary>
    private const int RowsPerTask = 128;

    /// <summary>The rows of a lazy step, or null to update every parameter.</summary>
    public int* Rows;

    /// <summary>Number of <see cref="Rows"/>.</summary>
    public int RowCount;

    /// <summary>Floats per row.</summary>
    public int RowWidth;

    /// <summary>The first parameter of a lazy step's tail (0 for a full step).</summary>
    public int TailStart;

    /// <summary>The parameters, updated in place.</summary>
    public float* Parameters;

    /// <summary>The gradient.</summary>
    public float* Gradient;

    /// <summary>The first-moment estimates, updated in place.</summary>
    public float* FirstMoment;

    /// <summary>The second-moment estimates, updated in place.</summary>
    public float* SecondMoment;

    /// <summary>The number of parameters.</summary>
    public int Count;

    /// <summary>η·√(1 − β₂ᵗ)/(1 − β₁ᵗ).</summary>
    public float StepSize;

    /// <summary>β₁.</summary>
    public float Beta1;

    /// <summary>β₂.</summary>
    public float Beta2;

    /// <summary>1 − β₁.</summary>
    public float OneMinusBeta1;

    /// <summary>1 − β₂.</summary>
    public float OneMinusBeta2;

    /// <summary>ε.</summary>
    public float Epsilon;

    /// <inheritdoc />
    public readonly int TaskCount => RowTasks + ((Count - TailStart + ChunkFloats - 1) / ChunkFloats);

    /// <summary>Tasks over the rows of a lazy step.</summary>
    private readonly int RowTasks => Rows is null ? 0 : (RowCount + RowsPerTask - 1) / RowsPerTask;

    /// <inheritdoc />
    public readonly int ArenaFloats => 0;

    /// <inheritdoc />
    public readonly long Work => ((long)(Count - TailStart) + ((long)RowCount * RowWidth)) * 32; // ~a dozen operations and 16 bytes of memory traffic per element

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void RunTask(int task, PackBuffer arena)
    {
        int rowTasks = RowTasks;
        if (task < rowTasks)
        {
            int end = Math.Min(RowCount, (task + 1) * RowsPerTask);
            for (int r = task * RowsPerTask; r < end; r++)
            {
                int first = Rows[r] * RowWidth;
                Update(first, first + RowWidth);
            }

            return;
        }

        int start = TailStart + ((task - rowTasks) * ChunkFloats);
        Update(start, Math.Min(Count, start + ChunkFloats));
    }

    /// <summary>Updates parameters [<paramref name="start"/>, <paramref name="end"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Update(int start, int end)
    {
        int i = start;

        // The same operations in the same order in every lane as in the scalar tail (no fused multiply-add),
        // so the result does not depend on the vector width or on the chunking.
        if (Vector512.IsHardwareAccelerated)
        {
            var b1 = Vector512.Create(Beta1);
            var b2 = Vector512.Create(Beta2);
            var c1 = Vector512.Create(OneMinusBeta1);
            var c2 = Vector512.Create(OneMinusBeta2);
            var eps = Vector512.Create(Epsilon);
            var step = Vector512.Create(StepSize);
            for (; i <= end - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var g = Vector512.Load(Gradient + i);
                var m = (b1 * Vector512.Load(FirstMoment + i)) + (c1 * g);
                var v = (b2 * Vector512.Load(SecondMoment + i)) + (c2 * g * g);
                m.Store(FirstMoment + i);
                v.Store(SecondMoment + i);
                (Vector512.Load(Parameters + i) - (step * m / (Vector512.Sqrt(v) + eps))).Store(Parameters + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var b1 = Vector256.Create(Beta1);
            var b2 = Vector256.Create(Beta2);
            var c1 = Vector256.Create(OneMinusBeta1);
            var c2 = Vector256.Create(OneMinusBeta2);
            var eps = Vector256.Create(Epsilon);
            var step = Vector256.Create(StepSize);
            for (; i <= end - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Load(Gradient + i);
                var m = (b1 * Vector256.Load(FirstMoment + i)) + (c1 * g);
                var v = (b2 * Vector256.Load(SecondMoment + i)) + (c2 * g * g);
                m.Store(FirstMoment + i);
                v.Store(SecondMoment + i);
                (Vector256.Load(Parameters + i) - (step * m / (Vector256.Sqrt(v) + eps))).Store(Parameters + i);
            }
        }

        for (; i < end; i++)
        {
            float g = Gradient[i];
            float m = (Beta1 * FirstMoment[i]) + (OneMinusBeta1 * g);
            float v = (Beta2 * SecondMoment[i]) + (OneMinusBeta2 * g * g);
            FirstMoment[i] = m;
            SecondMoment[i] = v;
            Parameters[i] -= StepSize * m / (MathF.Sqrt(v) + Epsilon);
        }
    }
}
