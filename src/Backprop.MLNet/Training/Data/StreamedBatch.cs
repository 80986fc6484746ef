using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// The buffers of one streamed minibatch: up to a batch of rows, their features dense or in CSR form (standardised as they
/// are written), targets and weights. Allocated once; sparse buffers grow to the most non-zeros a batch has held.
/// </summary>
internal sealed class StreamedBatch
{
    private readonly bool _sparse;
    private readonly int _width;
    private readonly int _targetWidth;
    private readonly float[] _features;
    private readonly float[] _targets;
    private readonly float[]? _weights;
    private readonly int[] _rowStarts;
    private int[] _indices = [];
    private float[] _values = [];

    /// <summary>Allocates the buffers.</summary>
    /// <param name="capacity">Rows it holds at most.</param>
    /// <param name="width">Features per row.</param>
    /// <param name="targetWidth">Target values per row.</param>
    /// <param name="sparse">CSR features (else dense).</param>
    /// <param name="weighted">Whether rows carry weights.</param>
    public StreamedBatch(int capacity, int width, int targetWidth, bool sparse, bool weighted)
    {
        Capacity = capacity;
        _sparse = sparse;
        _width = width;
        _targetWidth = targetWidth;
        _features = sparse ? [] : new float[checked(capacity * width)];
        _rowStarts = sparse ? new int[capacity + 1] : [];
        _targets = new float[checked(capacity * targetWidth)];
        _weights = weighted ? new float[capacity] : null;
    }

    /// <summary>Rows it holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Rows written since <see cref="Clear"/>.</summary>
    public int Rows { get; private set; }

    /// <summary>Empties the batch.</summary>
    public void Clear() => Rows = 0;

    /// <summary>The batch as the training loop reads it (valid until the next write).</summary>
    public Minibatch View() => new(
        _sparse ? InputBatch.FromCsr(_rowStarts.AsSpan(0, Rows + 1), _indices, _values, _width) : InputBatch.FromDense(_features.AsSpan(0, Rows * _width), Rows, _width),
        _targets.AsSpan(0, Rows * _targetWidth),
        _weights is null ? default : _weights.AsSpan(0, Rows));

    /// <summary>Appends a row (the batch must not be full), standardised when a standardisation is given; dense rows stay dense, and zeros are dropped from sparse ones.</summary>
    /// <param name="row">The row.</param>
    /// <param name="standardization">The standardisation, or null.</param>
    public void Add(RowView row, InputStandardization? standardization)
    {
        int r = Rows++;
        row.Target.CopyTo(_targets.AsSpan(r * _targetWidth, _targetWidth));
        if (_weights is not null)
        {
            _weights[r] = row.Weight;
        }

        if (!_sparse)
        {
            Span<float> dense = _features.AsSpan(r * _width, _width);
            if (row.IsDense && standardization is not null)
            {
                standardization.StandardizeRow(row.Values, dense); // copied and standardised in one pass
                return;
            }

            row.CopyDenseTo(dense);
            standardization?.StandardizeDense(dense);
            return;
        }

        int start = r == 0 ? 0 : _rowStarts[r];
        if (start + row.Values.Length > _indices.Length)
        {
            int size = Math.Max(start + row.Values.Length, Math.Max(1024, _indices.Length * 2));
            Array.Resize(ref _indices, size);
            Array.Resize(ref _values, size);
        }

        int end = start + row.CopyNonZerosTo(_indices.AsSpan(start), _values.AsSpan(start));
        _rowStarts[r] = start;
        _rowStarts[r + 1] = end;
        standardization?.ScaleSparse(_indices.AsSpan(start, end - start), _values.AsSpan(start, end - start));
    }
}
