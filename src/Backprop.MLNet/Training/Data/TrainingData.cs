using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// An in-memory training (or validation) set: the features, dense row-major or sparse (<see cref="SparseRows"/>), the
/// targets row-major, and optionally one weight per row. The arrays are referenced, not copied, and must not change
/// during training.
/// </summary>
internal sealed class TrainingData : ITrainingRows
{
    private readonly float[]? _dense;
    private bool _spent;

    /// <summary>Wraps dense features after checking the sizes.</summary>
    /// <param name="features">Features [rows × inputSize], row-major.</param>
    /// <param name="targets">Targets [rows × targetWidth], row-major (see <see cref="Engine.Outputs.OutputKind"/> for their meaning).</param>
    /// <param name="rows">Number of rows (≥ 1).</param>
    /// <param name="inputSize">Number of features per row (≥ 1).</param>
    /// <param name="targetWidth">Number of target values per row (≥ 1).</param>
    /// <param name="weights">Optional non-negative weight per row [rows]; <see langword="null"/> for all ones.</param>
    public TrainingData(float[] features, float[] targets, int rows, int inputSize, int targetWidth, float[]? weights = null)
        : this(targets, rows, inputSize, targetWidth, weights)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length < (long)rows * inputSize)
        {
            throw new ArgumentException($"Expected {(long)rows * inputSize} feature values but got {features.Length}.", nameof(features));
        }

        _dense = features;
    }

    /// <summary>Wraps sparse features after checking the sizes.</summary>
    /// <param name="features">The rows in CSR form.</param>
    /// <param name="targets">Targets [rows × targetWidth], row-major.</param>
    /// <param name="targetWidth">Number of target values per row (≥ 1).</param>
    /// <param name="weights">Optional non-negative weight per row; <see langword="null"/> for all ones.</param>
    public TrainingData(SparseRows features, float[] targets, int targetWidth, float[]? weights = null)
        : this(targets, features.Rows, features.Width, targetWidth, weights)
    {
        Sparse = features;
    }

    private TrainingData(float[] targets, int rows, int inputSize, int targetWidth, float[]? weights)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetWidth, 1);
        if (targets.Length < (long)rows * targetWidth)
        {
            throw new ArgumentException($"Expected {(long)rows * targetWidth} target values but got {targets.Length}.", nameof(targets));
        }

        TotalWeight = rows;
        if (weights is not null)
        {
            if (weights.Length < rows)
            {
                throw new ArgumentException($"Expected {rows} weights but got {weights.Length}.", nameof(weights));
            }

            double sum = 0;
            for (int i = 0; i < rows; i++)
            {
                if (!(weights[i] >= 0) || float.IsInfinity(weights[i]))
                {
                    throw new ArgumentException($"Weight {i} is {weights[i]}; weights must be finite and non-negative.", nameof(weights));
                }

                sum += weights[i];
            }

            if (!(sum > 0))
            {
                throw new ArgumentException("The weights must not all be zero.", nameof(weights));
            }

            TotalWeight = sum;
        }

        Targets = targets;
        Rows = rows;
        InputSize = inputSize;
        TargetWidth = targetWidth;
        Weights = weights;
    }

    /// <summary>Dense features [<see cref="Rows"/> × <see cref="InputSize"/>], row-major; throws for sparse data.</summary>
    public float[] Features => _dense ?? throw new InvalidOperationException("The features are sparse; read them through Batch or Sparse.");

    /// <summary>The features in CSR form, or null when they are dense.</summary>
    public SparseRows? Sparse { get; }

    /// <summary>Whether the features are sparse.</summary>
    public bool IsSparse => Sparse is not null;

    /// <summary>Targets [<see cref="Rows"/> × <see cref="TargetWidth"/>], row-major.</summary>
    public float[] Targets { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of features per row.</summary>
    public int InputSize { get; }

    /// <summary>Number of target values per row.</summary>
    public int TargetWidth { get; }

    /// <summary>Per-row weights, or <see langword="null"/> when every row has weight 1.</summary>
    public float[]? Weights { get; }

    /// <summary>Σ weights (or <see cref="Rows"/> when unweighted).</summary>
    public double TotalWeight { get; }

    /// <summary>The features of rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="rows"/>), a view.</summary>
    /// <param name="start">First row.</param>
    /// <param name="rows">Number of rows (≥ 1).</param>
    public InputBatch Batch(int start, int rows)
    {
        ThrowIfSpent();
        return Sparse is { } sparse ? sparse.Batch(start, rows) : InputBatch.FromDense(Features.AsSpan(start * InputSize, rows * InputSize), rows, InputSize);
    }

    /// <inheritdoc />
    long ITrainingRows.Rows => Rows;

    /// <inheritdoc />
    public IMinibatchSource Batches(int batchSize, bool shuffle, SeededRandom? random, int threads = 1)
    {
        ThrowIfSpent();
        return new MinibatchSource(this, Math.Min(batchSize, Rows), shuffle, random, threads);
    }

    /// <inheritdoc />
    public void Standardize(InputStandardization standardization)
    {
        ThrowIfSpent();
        InputStatistics.Apply(this, standardization);
    }

    /// <inheritdoc />
    /// <remarks>Dense rows are split in place (see <see cref="KeepOnly"/>): this data is spent afterwards.</remarks>
    public (ITrainingRows Train, ITrainingRows Validation) HoldOut(double fraction, bool stratifyByTarget, SeededRandom random) =>
        ValidationSplit.Split(this, fraction, stratifyByTarget, random);

    /// <summary>The same rows with other weights (e.g. multiplied by class weights).</summary>
    /// <param name="weights">One weight per row.</param>
    public TrainingData WithWeights(float[] weights)
    {
        ThrowIfSpent();
        return Sparse is { } sparse ? new TrainingData(sparse, Targets, TargetWidth, weights) : new TrainingData(Features, Targets, Rows, InputSize, TargetWidth, weights);
    }

    /// <summary>A copy of the rows whose numbers are listed, in that order (features, targets and weights).</summary>
    /// <param name="rows">Row numbers.</param>
    public TrainingData Select(ReadOnlySpan<int> rows)
    {
        ThrowIfSpent();
        (float[] targets, float[]? weights) = SelectTargets(rows);
        if (Sparse is { } sparse)
        {
            return new TrainingData(sparse.Select(rows), targets, TargetWidth, weights);
        }

        float[] features = LargeArrays.Allocate<float>((long)rows.Length * InputSize);
        for (int k = 0; k < rows.Length; k++)
        {
            Features.AsSpan(rows[k] * InputSize, InputSize).CopyTo(features.AsSpan(k * InputSize));
        }

        return new TrainingData(features, targets, rows.Length, InputSize, TargetWidth, weights);
    }

    /// <summary>
    /// The rows whose numbers are listed (in increasing order), as <see cref="Select"/> gives them, but without a copy of
    /// their features: they are moved to the front of this data's own feature arrays (dense, or sparse:
    /// <see cref="SparseRows.KeepOnly"/>), which the result then holds. This data is spent afterwards (its features hold the
    /// result's rows) and throws if used again. Early stopping keeps nine rows in ten this way: a copy of FMNIST's 54,000
    /// training rows was 169 MB of fresh memory, ~0.35 s of the first epoch on this project's virtual machines, and the
    /// whole data set's memory twice over.
    /// </summary>
    /// <param name="rows">Row numbers, increasing.</param>
    public TrainingData KeepOnly(ReadOnlySpan<int> rows)
    {
        ThrowIfSpent();
        for (int k = 1; k < rows.Length; k++)
        {
            if (rows[k] <= rows[k - 1])
            {
                throw new ArgumentException($"Row numbers must increase; row {rows[k]} comes after row {rows[k - 1]}.", nameof(rows));
            }
        }

        (float[] targets, float[]? weights) = SelectTargets(rows);
        if (Sparse is { } sparse)
        {
            _spent = true;
            return new TrainingData(sparse.KeepOnly(rows), targets, TargetWidth, weights);
        }

        for (int k = 0; k < rows.Length; k++)
        {
            // Increasing row numbers are each at least their place: row rows[k] moves down to k, over no row still to move.
            if (rows[k] != k)
            {
                Array.Copy(_dense!, (long)rows[k] * InputSize, _dense!, (long)k * InputSize, InputSize);
            }
        }

        _spent = true;
        return new TrainingData(_dense!, targets, rows.Length, InputSize, TargetWidth, weights);
    }

    /// <summary>Copies of the targets and weights of the listed rows.</summary>
    private (float[] Targets, float[]? Weights) SelectTargets(ReadOnlySpan<int> rows)
    {
        int width = TargetWidth;
        var targets = new float[(long)rows.Length * width];
        float[]? weights = Weights is null ? null : new float[rows.Length];
        for (int k = 0; k < rows.Length; k++)
        {
            Targets.AsSpan(rows[k] * width, width).CopyTo(targets.AsSpan(k * width));
            if (weights is not null)
            {
                weights[k] = Weights![rows[k]];
            }
        }

        return (targets, weights);
    }

    private void ThrowIfSpent()
    {
        if (_spent)
        {
            throw new InvalidOperationException(
                "These rows were split for early stopping, in place: their features now hold the training part's rows. Use the two parts the split returned.");
        }
    }
}
