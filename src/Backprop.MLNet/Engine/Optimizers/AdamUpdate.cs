using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Optimizers;

/// <summary>
/// One Adam step over the parameter vector, split into fixed chunks that the kernel worker pool may run on several
/// threads (each element's update depends on that element only, so the split never changes a result):
/// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; p ← p − η_t·m / (√v + ε), with η_t the bias-corrected step size.
/// With <see cref="Rows"/> set, only those rows of <see cref="RowWidth"/> floats and the parameters from
/// <see cref="TailStart"/> on are updated (a lazy step, see <see cref="ParameterSubset"/>). With <see cref="Finishes"/>, the
/// gradient is a raw one, and each element is finished as it is read, g = (g + l2·p)·s on weights and g·s on biases
/// (<see cref="RawGradient"/>).
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

    /// <summary>Whether <see cref="Gradient"/> is raw and finished here (full steps only).</summary>
    public bool Finishes;

    /// <summary>The raw gradient's last factor.</summary>
    public float GradientScale;

    /// <summary>The raw gradient's L2 factor (weights only).</summary>
    public float L2;

    /// <summary>The weight blocks, [start, end) pairs in increasing order (<see cref="RawGradient.WeightRanges"/>).</summary>
    public int* WeightRanges;

    /// <summary>Number of pairs in <see cref="WeightRanges"/>.</summary>
    public int WeightRangeCount;

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
            int lastRow = Math.Min(RowCount, (task + 1) * RowsPerTask);
            for (int r = task * RowsPerTask; r < lastRow; r++)
            {
                int first = Rows[r] * RowWidth;
                Update(first, first + RowWidth);
            }

            return;
        }

        int start = TailStart + ((task - rowTasks) * ChunkFloats);
        int end = Math.Min(Count, start + ChunkFloats);
        if (!Finishes)
        {
            Update(start, end);
            return;
        }

        // The chunk cut where weights (with the L2 term) and biases (without) meet.
        for (int r = 0; r < WeightRangeCount && start < end; r++)
        {
            int weightsStart = WeightRanges[2 * r], weightsEnd = WeightRanges[(2 * r) + 1];
            if (weightsEnd <= start)
            {
                continue;
            }

            if (start < weightsStart)
            {
                Update(start, Math.Min(end, weightsStart), 0f);
                start = Math.Min(end, weightsStart);
            }

            if (start < end)
            {
                Update(start, Math.Min(end, weightsEnd), L2);
                start = Math.Min(end, weightsEnd);
            }
        }

        if (start < end)
        {
            Update(start, end, 0f);
        }
    }

    /// <summary>Updates parameters [<paramref name="start"/>, <paramref name="end"/>) from a finished gradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Update(int start, int end) => Update(start, end, 0f, finishes: false);

    /// <summary>Updates parameters [<paramref name="start"/>, <paramref name="end"/>) from a raw gradient, finished with <paramref name="l2"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Update(int start, int end, float l2) => Update(start, end, l2, finishes: true);

    /// <summary>Updates parameters [<paramref name="start"/>, <paramref name="end"/>); with <paramref name="finishes"/> the gradient is finished as read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Update(int start, int end, float l2, bool finishes)
    {
        bool decays = finishes && l2 != 0f;
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
            var scale = Vector512.Create(GradientScale);
            var decay = Vector512.Create(l2);
            for (; i <= end - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var g = Vector512.Load(Gradient + i);
                if (finishes)
                {
                    g = (decays ? (Vector512.Load(Parameters + i) * decay) + g : g) * scale;
                }

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
            var scale = Vector256.Create(GradientScale);
            var decay = Vector256.Create(l2);
            for (; i <= end - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Load(Gradient + i);
                if (finishes)
                {
                    g = (decays ? (Vector256.Load(Parameters + i) * decay) + g : g) * scale;
                }

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
            if (finishes)
            {
                g = (decays ? (Parameters[i] * l2) + g : g) * GradientScale;
            }

            float m = (Beta1 * FirstMoment[i]) + (OneMinusBeta1 * g);
            float v = (Beta2 * SecondMoment[i]) + (OneMinusBeta2 * g * g);
            FirstMoment[i] = m;
            SecondMoment[i] = v;
            Parameters[i] -= StepSize * m / (MathF.Sqrt(v) + Epsilon);
        }
    }
}
