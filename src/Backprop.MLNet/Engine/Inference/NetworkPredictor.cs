using System.Diagnostics;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Inference;

/// <summary>
/// Prediction with a trained network, which picks its own path: the packed copy of the weights (<see cref="PackedNetwork"/>),
/// built on first use and shared by every caller, or, for a network too large to pack, the training layout
/// (<see cref="Network.Forward"/>) with the output activation applied row by row. Either way a row gets the same bits
/// alone as inside any block, on any number of threads. Thread-safe: callers bring their own scratch.
/// </summary>
/// <param name="network">The trained network; it must not change while this predictor is used.</param>
internal sealed class NetworkPredictor(Network network)
{
    private readonly Lazy<PackedNetwork?> _packed = new(() => PackedNetwork.TryCreate(network));
    private volatile bool _trainingLayout;

    /// <summary>The network predicted with.</summary>
    public Network Network => network;

    /// <summary>The packed copy, or null when the network is too large to pack (or <see cref="UseTrainingLayout"/> was called).</summary>
    public PackedNetwork? Packed => _trainingLayout ? null : _packed.Value;

    /// <summary>Makes this predictor use the training layout, as a network too large to pack does (for tests).</summary>
    internal void UseTrainingLayout() => _trainingLayout = true;

    /// <summary>Whether a row predicted alone is split over threads (chosen by timing; see <see cref="OneRowSplit"/>).</summary>
    public OneRowSplit OneRow { get; } = new();

    /// <summary>
    /// One row alone (a <c>PredictionEngine</c> call): as <see cref="Predict(InputBatch, InferenceScratch, int)"/>, on the
    /// threads <see cref="OneRow"/> chooses among 1 and <paramref name="threads"/> (the same bits either way).
    /// </summary>
    /// <param name="x">One row, dense or CSR.</param>
    /// <param name="scratch">The caller's buffers.</param>
    /// <param name="threads">Threads allowed, the caller included.</param>
    /// <returns>The outputs and logits of the row, views into <paramref name="scratch"/>.</returns>
    public ForwardResult PredictRow(InputBatch x, InferenceScratch scratch, int threads)
    {
        int use = OneRow.Begin(threads, out long sample);
        if (sample < 0)
        {
            return Predict(x, scratch, use);
        }

        long start = Stopwatch.GetTimestamp();
        ForwardResult result = Predict(x, scratch, use);
        OneRow.End(sample, Stopwatch.GetTimestamp() - start);
        return result;
    }

    /// <summary>Buffers for passes of up to <paramref name="maxRows"/> rows (one per thread or cursor).</summary>
    /// <param name="maxRows">Largest number of rows per pass.</param>
    public InferenceScratch CreateScratch(int maxRows) => network.CreateScratch(maxRows);

    /// <summary>Runs <paramref name="rows"/> dense rows through the network without allocating.</summary>
    /// <param name="x">Inputs, row-major [rows × inputs].</param>
    /// <param name="rows">Number of rows, 1 ≤ rows ≤ the scratch's capacity.</param>
    /// <param name="scratch">The caller's buffers.</param>
    /// <param name="threads">Threads, the caller included; results do not depend on it.</param>
    /// <returns>The outputs and logits of every row, views into <paramref name="scratch"/>.</returns>
    public ForwardResult Predict(ReadOnlySpan<float> x, int rows, InferenceScratch scratch, int threads)
    {
        using (WorkerSpin.Scoring())
        {
            return PredictDense(x, rows, scratch, threads);
        }
    }

    /// <summary>
    /// Runs a batch of dense or sparse (CSR) rows through the network; a sparse batch gives bit for bit what the same
    /// rows give dense. The packed path reads a sparse batch's entries directly; the training layout reads dense rows
    /// only, so for a network too large to pack a sparse batch is first written dense into the scratch (a rare path).
    /// Allocates nothing once the scratch has grown to the batches it serves.
    /// </summary>
    /// <param name="x">The rows; <see cref="InputBatch.Width"/> must be the network's input size.</param>
    /// <param name="scratch">The caller's buffers.</param>
    /// <param name="threads">Threads, the caller included; results do not depend on it.</param>
    /// <returns>The outputs and logits of every row, views into <paramref name="scratch"/>.</returns>
    /// <exception cref="ArgumentException">The width differs from the network's inputs, or a sparse row's indices are out of range or order.</exception>
    public ForwardResult Predict(InputBatch x, InferenceScratch scratch, int threads)
    {
        using (WorkerSpin.Scoring())
        {
            return PredictBatch(x, scratch, threads);
        }
    }

    /// <summary>The dense pass of <see cref="Predict(ReadOnlySpan{float}, int, InferenceScratch, int)"/>.</summary>
    private ForwardResult PredictDense(ReadOnlySpan<float> x, int rows, InferenceScratch scratch, int threads)
    {
        if (Packed is { } packed)
        {
            ReadOnlySpan<float> outputs = packed.Forward(x, rows, scratch, threads);
            return new ForwardResult(outputs, scratch.LastLogits);
        }

        network.Forward(x, rows, scratch, threads);
        return new ForwardResult(network.ActivateOutputsByRow(scratch, rows), scratch.LastLogits);
    }

    /// <summary>The pass of <see cref="Predict(InputBatch, InferenceScratch, int)"/>.</summary>
    private ForwardResult PredictBatch(InputBatch x, InferenceScratch scratch, int threads)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        if (x.Width != network.InputSize)
        {
            throw new ArgumentException($"The batch has {x.Width} inputs per row; the network has {network.InputSize}.", nameof(x));
        }

        if (Packed is { } packed)
        {
            ReadOnlySpan<float> outputs = packed.Forward(x, scratch, threads);
            return new ForwardResult(outputs, scratch.LastLogits);
        }

        if (!x.IsSparse)
        {
            return PredictDense(x.Dense, x.Rows, scratch, threads);
        }

        scratch.CheckFits(network, x.Rows);
        CsrRows.Check(x);
        float[] dense = scratch.DenseInput(checked(x.Rows * x.Width));
        CsrRows.Scatter(x, dense);
        return PredictDense(dense, x.Rows, scratch, threads);
    }
}
