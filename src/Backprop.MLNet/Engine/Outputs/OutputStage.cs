using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// The output stage of a training pass over the kernel pool, in tasks of <see cref="RowsPerTask"/> rows: each row's outputs
/// (when <see cref="Activate"/>; see <see cref="OutputLayer.ActivatesRowByRow"/>), its loss into <see cref="RowLoss"/>
/// and its error δ. Every row is computed on its own, so the bits do not depend on the threads; the caller adds the row
/// losses up in row order.
/// </summary>
/// <remarks>Softmax row by row (a few vector calls per row) costs a training minibatch as much as a small layer's product.</remarks>
internal unsafe struct OutputStage : IKernelProblem
{
    /// <summary>Rows per task.</summary>
    public const int RowsPerTask = 16;

    /// <summary>The output layer.</summary>
    public OutputLayer Output;

    /// <summary>Logits [rows × <see cref="Outputs"/>].</summary>
    public float* Logits;

    /// <summary>Outputs ŷ [rows × <see cref="Outputs"/>]: written when <see cref="Activate"/>, else read.</summary>
    public float* Predicted;

    /// <summary>Targets [rows × <see cref="TargetWidth"/>].</summary>
    public float* Targets;

    /// <summary>Errors δ [rows × <see cref="Outputs"/>], written.</summary>
    public float* Delta;

    /// <summary>Each row's unweighted loss, written.</summary>
    public double* RowLoss;

    /// <summary>Rows.</summary>
    public int Rows;

    /// <summary>Outputs per row.</summary>
    public int Outputs;

    /// <summary>Target values per row.</summary>
    public int TargetWidth;

    /// <summary>Whether to compute the outputs ŷ from the logits first.</summary>
    public bool Activate;

    /// <summary>Runs the stage on up to <paramref name="threads"/> threads (spans of <paramref name="rows"/> rows each).</summary>
    /// <param name="output">The output layer.</param>
    /// <param name="logits">Logits [rows × outputs].</param>
    /// <param name="predicted">Outputs ŷ: written when <paramref name="activate"/>, else read.</param>
    /// <param name="targets">Targets [rows × targetWidth].</param>
    /// <param name="delta">Errors δ [rows × outputs], written.</param>
    /// <param name="rowLoss">Each row's loss, written.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="outputs">Outputs per row.</param>
    /// <param name="targetWidth">Target values per row.</param>
    /// <param name="activate">Whether to compute ŷ here (<see cref="OutputLayer.ActivatesRowByRow"/>).</param>
    /// <param name="threads">Threads, the caller included.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(OutputLayer output, ReadOnlySpan<float> logits, Span<float> predicted, ReadOnlySpan<float> targets, Span<float> delta,
        Span<double> rowLoss, int rows, int outputs, int targetWidth, bool activate, int threads)
    {
        long cells = (long)rows * outputs;
        if (logits.Length < cells || predicted.Length < cells || delta.Length < cells || targets.Length < (long)rows * targetWidth || rowLoss.Length < rows)
        {
            throw new ArgumentException($"The output stage's spans are shorter than {rows} rows of {outputs} outputs and {targetWidth} targets.");
        }

        fixed (float* logitsPointer = logits, predictedPointer = predicted, targetsPointer = targets, deltaPointer = delta)
        fixed (double* rowLossPointer = rowLoss)
        {
            var stage = new OutputStage
            {
                Output = output,
                Logits = logitsPointer,
                Predicted = predictedPointer,
                Targets = targetsPointer,
                Delta = deltaPointer,
                RowLoss = rowLossPointer,
                Rows = rows,
                Outputs = outputs,
                TargetWidth = targetWidth,
                Activate = activate,
            };
            KernelRunner.Run(stage, threads);
        }
    }

    /// <summary>The <see cref="Work"/> of a stage of <paramref name="rows"/> rows of <paramref name="outputs"/> outputs (for tests).</summary>
    internal static long WorkOf(int rows, int outputs) => new OutputStage { Rows = rows, Outputs = outputs }.Work;

    /// <inheritdoc />
    public readonly int TaskCount => (Rows + RowsPerTask - 1) / RowsPerTask;

    /// <inheritdoc />
    public readonly int ArenaFloats => 0;

    /// <inheritdoc />
    /// <remarks>About 256 multiply–adds' worth per output value and row: a softmax row of 10 is a few hundred nanoseconds.</remarks>
    public readonly long Work => 256L * Rows * (Outputs + 8);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void RunTask(int task, PackBuffer arena)
    {
        int end = Math.Min(Rows, (task + 1) * RowsPerTask);
        for (int r = task * RowsPerTask; r < end; r++)
        {
            var logits = new ReadOnlySpan<float>(Logits + ((long)r * Outputs), Outputs);
            var predicted = new Span<float>(Predicted + ((long)r * Outputs), Outputs);
            if (Activate)
            {
                Output.ActivateInTraining(logits, predicted, Outputs);
            }

            RowLoss[r] = Output.RowLossAndDelta(logits, predicted, new ReadOnlySpan<float>(Targets + ((long)r * TargetWidth), TargetWidth),
                new Span<float>(Delta + ((long)r * Outputs), Outputs));
        }
    }
}
