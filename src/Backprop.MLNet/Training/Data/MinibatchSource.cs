using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Cuts the training data into minibatches each epoch, as scikit-learn's <c>gen_batches</c> over
/// a (optionally) shuffled index array: consecutive slices of <see cref="BatchSize"/> rows, the
/// last one possibly smaller. Shuffled rows are gathered into buffers allocated once (for sparse rows,
/// grown to the largest batch met); without shuffling the batches are views of the data itself.
/// </summary>
internal sealed class MinibatchSource : IMinibatchSource
{
    private readonly TrainingData _data;
    private readonly SeededRandom? _random;
    private readonly bool _shuffle;
    private readonly int _threads;
    private readonly int[] _order;
    private readonly float[] _features;
    private readonly float[] _targets;
    private readonly float[]? _weights;
    private readonly int[] _rowStarts;
    private int[] _indices = [];
    private float[] _values = [];
    private int _next;

    /// <summary>Creates the source and its gather buffers.</summary>
    /// <param name="data">The training data.</param>
    /// <param name="batchSize">Rows per batch, 1 ≤ batchSize ≤ rows.</param>
    /// <param name="shuffle">Whether <see cref="StartEpoch"/> reshuffles the row order.</param>
    /// <param name="random">Generator for the shuffles (may be null without shuffling).</param>
    /// <param name="threads">Threads that copy a shuffled dense batch's rows (the same bits on any number).</param>
    public MinibatchSource(TrainingData data, int batchSize, bool shuffle, SeededRandom? random, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (shuffle)
        {
            ArgumentNullException.ThrowIfNull(random);
        }

        if (batchSize < 1 || batchSize > data.Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be between 1 and the number of rows.");
        }

        _data = data;
        _random = random;
        _shuffle = shuffle;
        _threads = Math.Max(1, threads);
        BatchSize = batchSize;
        BatchCount = (data.Rows + batchSize - 1) / batchSize;
        _order = new int[data.Rows];
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        bool gatherDense = shuffle && !data.IsSparse;
        _features = gatherDense ? new float[checked(batchSize * data.InputSize)] : [];
        _targets = shuffle ? new float[checked(batchSize * data.TargetWidth)] : [];
        _weights = shuffle && data.Weights is not null ? new float[batchSize] : null;
        _rowStarts = shuffle && data.IsSparse ? new int[batchSize + 1] : [];
    }

    /// <summary>Rows per full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Number of batches per epoch.</summary>
    public int BatchCount { get; }

    /// <summary>
    /// Prepares a new epoch: when shuffling is on, a fresh Fisher–Yates permutation of the rows in their original
    /// order. (Starting from the original order each epoch, rather than permuting last epoch's order as scikit-learn
    /// does, makes an epoch's order depend only on the generator's state, so a saved training resumes exactly.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void StartEpoch()
    {
        _next = 0;
        if (_shuffle)
        {
            for (int i = 0; i < _order.Length; i++)
            {
                _order[i] = i;
            }

            _random!.Shuffle(_order);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Next(out Minibatch batch)
    {
        if (_next >= BatchCount)
        {
            batch = default;
            return false;
        }

        batch = GetBatch(_next++);
        return true;
    }

    /// <inheritdoc />
    public long EpochRows => _data.Rows;

    /// <inheritdoc />
    public double EpochWeight => _data.TotalWeight;

    /// <summary>Nothing to release: the rows stay in memory.</summary>
    public void Dispose()
    {
    }

    /// <summary>Returns batch <paramref name="index"/> of the current epoch; its spans stay valid until the next call.</summary>
    /// <param name="index">Batch index, 0 ≤ index &lt; <see cref="BatchCount"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Minibatch GetBatch(int index)
    {
        int start = index * BatchSize;
        int rows = Math.Min(BatchSize, _data.Rows - start);
        int targetWidth = _data.TargetWidth;
        float[]? sourceWeights = _data.Weights;
        if (!_shuffle)
        {
            return new Minibatch(
                _data.Batch(start, rows),
                _data.Targets.AsSpan(start * targetWidth, rows * targetWidth),
                sourceWeights is null ? default : sourceWeights.AsSpan(start, rows));
        }

        ReadOnlySpan<float> targets = _data.Targets;
        for (int r = 0; r < rows; r++)
        {
            int row = _order[start + r];
            targets.Slice(row * targetWidth, targetWidth).CopyTo(_targets.AsSpan(r * targetWidth, targetWidth));
            if (sourceWeights is not null)
            {
                _weights![r] = sourceWeights[row];
            }
        }

        InputBatch inputs = _data.Sparse is { } sparse ? GatherSparse(sparse, start, rows) : GatherDense(start, rows);
        return new Minibatch(inputs, _targets.AsSpan(0, rows * targetWidth), _weights is null ? default : _weights.AsSpan(0, rows));
    }

    /// <summary>Copies the dense rows of the batch into the gather buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe InputBatch GatherDense(int start, int rows)
    {
        int inputs = _data.InputSize;
        fixed (float* source = _data.Features, destination = _features)
        fixed (int* order = &_order[start])
        {
            var gather = new RowGather { Source = source, Order = order, Destination = destination, Rows = rows, Width = inputs };
            KernelRunner.Run(gather, _threads);
        }

        return InputBatch.FromDense(_features, rows, inputs);
    }

    /// <summary>Copies the CSR rows of the batch into the gather buffers (grown when a batch holds more entries than any before).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private InputBatch GatherSparse(SparseRows sparse, int start, int rows)
    {
        int entries = 0;
        for (int r = 0; r < rows; r++)
        {
            int row = _order[start + r];
            entries += sparse.RowStarts[row + 1] - sparse.RowStarts[row];
        }

        if (_indices.Length < entries)
        {
            _indices = new int[Math.Max(entries, _indices.Length * 2)];
            _values = new float[_indices.Length];
        }

        int k = 0;
        for (int r = 0; r < rows; r++)
        {
            int row = _order[start + r];
            int from = sparse.RowStarts[row], length = sparse.RowStarts[row + 1] - from;
            _rowStarts[r] = k;
            sparse.Indices.AsSpan(from, length).CopyTo(_indices.AsSpan(k));
            sparse.Values.AsSpan(from, length).CopyTo(_values.AsSpan(k));
            k += length;
        }

        _rowStarts[rows] = k;
        return InputBatch.FromCsr(_rowStarts.AsSpan(0, rows + 1), _indices, _values, sparse.Width);
    }
}
