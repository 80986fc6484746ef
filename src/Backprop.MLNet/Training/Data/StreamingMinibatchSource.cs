using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// The minibatches of rows read from an <see cref="IRowSource"/> every epoch, with memory bounded by one batch and the
/// shuffle buffer. Without shuffling, the rows come in the source's order, so the batches are those an in-memory
/// <see cref="MinibatchSource"/> cuts from the same rows. With shuffling, each epoch draws a seed from the training's
/// generator; the source reads in its own shuffled order when it can (ML.NET's binary files shuffle blocks and rows),
/// and every batch row is drawn at random from a <see cref="ShuffleBuffer"/> and replaced by the next row read. The order
/// depends only on the generator's state and the source, never on timing or threads.
/// </summary>
internal sealed class StreamingMinibatchSource : IMinibatchSource
{
    private readonly IRowSource _source;
    private readonly SeededRandom? _random;
    private readonly InputStandardization? _standardization;
    private readonly RowFilter? _filter;
    private readonly ShuffleBuffer? _pool;
    private readonly bool _sparse;
    private readonly int _width;
    private readonly int _targetWidth;
    private readonly float[] _features;
    private readonly float[] _targets;
    private readonly float[]? _weights;
    private readonly int[] _rowStarts;
    private int[] _indices = [];
    private float[] _values = [];
    private IRowCursor? _cursor;
    private SeededRandom? _poolRandom;
    private bool _sourceDone;

    /// <summary>Prepares the batches (nothing is read until <see cref="StartEpoch"/>).</summary>
    /// <param name="source">The rows.</param>
    /// <param name="batchSize">Rows per batch (≥ 1).</param>
    /// <param name="sparse">Whether batches hold their features in CSR form (else dense).</param>
    /// <param name="random">The training's generator when shuffling, else null.</param>
    /// <param name="shuffleBufferRows">Rows in the shuffle buffer (used when shuffling).</param>
    /// <param name="standardization">Applied to every row as it enters a batch, or null.</param>
    /// <param name="filter">The rows to keep (a hold-out part), or null for all.</param>
    public StreamingMinibatchSource(IRowSource source, int batchSize, bool sparse, SeededRandom? random, int shuffleBufferRows,
        InputStandardization? standardization, RowFilter? filter)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _source = source;
        _random = random;
        _standardization = standardization;
        _filter = filter;
        _sparse = sparse;
        _width = source.InputSize;
        _targetWidth = source.TargetWidth;
        BatchSize = batchSize;
        _features = sparse ? [] : new float[checked(batchSize * _width)];
        _rowStarts = sparse ? new int[batchSize + 1] : [];
        _targets = new float[checked(batchSize * _targetWidth)];
        _weights = source.HasWeights ? new float[batchSize] : null;
        _pool = random is null ? null : new ShuffleBuffer(Math.Max(1, shuffleBufferRows), _width, _targetWidth, sparse);
    }

    /// <inheritdoc />
    public int BatchSize { get; }

    /// <inheritdoc />
    public long EpochRows { get; private set; }

    /// <inheritdoc />
    public double EpochWeight { get; private set; }

    /// <inheritdoc />
    public void StartEpoch()
    {
        CloseCursor();
        EpochRows = 0;
        EpochWeight = 0;
        _sourceDone = false;
        ulong? seed = null;
        if (_random is not null)
        {
            seed = _random.NextUInt64();
            _poolRandom = SeededRandom.FromSeed(~seed.Value);
            _pool!.Clear();
        }

        _cursor = _source.Open(seed);
    }

    /// <inheritdoc />
    public bool Next(out Minibatch batch)
    {
        batch = default;
        if (_cursor is null)
        {
            return false;
        }

        int rows = 0;
        int entries = 0;
        while (rows < BatchSize && NextRow(rows, ref entries))
        {
            rows++;
        }

        if (rows == 0)
        {
            CloseCursor();
            return false;
        }

        InputBatch inputs = _sparse
            ? InputBatch.FromCsr(_rowStarts.AsSpan(0, rows + 1), _indices, _values, _width)
            : InputBatch.FromDense(_features.AsSpan(0, rows * _width), rows, _width);
        batch = new Minibatch(inputs, _targets.AsSpan(0, rows * _targetWidth), _weights is null ? default : _weights.AsSpan(0, rows));
        return true;
    }

    /// <summary>Closes the current pass (a later <see cref="StartEpoch"/> opens a new one).</summary>
    public void Dispose() => CloseCursor();

    /// <summary>Writes the epoch's next row into batch row <paramref name="r"/>; false when the epoch has no more rows.</summary>
    private bool NextRow(int r, ref int entries)
    {
        if (_pool is null)
        {
            if (!MoveNext())
            {
                return false;
            }

            Write(r, RowView.Of(_cursor!), ref entries);
            return true;
        }

        while (!_sourceDone && _pool.Count < _pool.Capacity)
        {
            if (MoveNext())
            {
                _pool.Add(RowView.Of(_cursor!));
            }
        }

        if (_pool.Count == 0)
        {
            return false;
        }

        int slot = _poolRandom!.NextInt(_pool.Count);
        Write(r, _pool.Get(slot), ref entries);
        if (MoveNext())
        {
            _pool.Set(slot, RowView.Of(_cursor!));
        }
        else
        {
            _pool.RemoveAt(slot);
        }

        return true;
    }

    /// <summary>Moves the cursor to the next row the filter keeps; false (and remembered) at the end of the source.</summary>
    private bool MoveNext()
    {
        if (_sourceDone)
        {
            return false;
        }

        while (_cursor!.MoveNext())
        {
            if (_filter is not { } filter || filter.Keeps(_cursor.Id))
            {
                return true;
            }
        }

        _sourceDone = true;
        return false;
    }

    /// <summary>Writes a row into batch row <paramref name="r"/>, standardised, and counts it into the epoch.</summary>
    private void Write(int r, RowView row, ref int entries)
    {
        row.Target.CopyTo(_targets.AsSpan(r * _targetWidth, _targetWidth));
        if (_weights is not null)
        {
            _weights[r] = row.Weight;
        }

        EpochRows++;
        EpochWeight += row.Weight;
        if (!_sparse)
        {
            Span<float> dense = _features.AsSpan(r * _width, _width);
            if (row.IsDense)
            {
                row.Values.CopyTo(dense);
            }
            else
            {
                dense.Clear();
                for (int k = 0; k < row.Values.Length; k++)
                {
                    dense[row.Indices[k]] = row.Values[k];
                }
            }

            _standardization?.StandardizeDense(dense);
            return;
        }

        if (entries + row.Values.Length > _indices.Length)
        {
            int size = Math.Max(entries + row.Values.Length, Math.Max(1024, _indices.Length * 2));
            Array.Resize(ref _indices, size);
            Array.Resize(ref _values, size);
        }

        _rowStarts[r] = entries;
        int start = entries;
        for (int k = 0; k < row.Values.Length; k++)
        {
            if (row.Values[k] != 0f)
            {
                _indices[entries] = row.IsDense ? k : row.Indices[k];
                _values[entries++] = row.Values[k];
            }
        }

        _rowStarts[r + 1] = entries;
        _standardization?.ScaleSparse(_indices.AsSpan(start, entries - start), _values.AsSpan(start, entries - start));
    }

    private void CloseCursor()
    {
        _cursor?.Dispose();
        _cursor = null;
    }
}
