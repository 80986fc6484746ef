namespace Backprop.MLNet.Training.Data;

/// <summary>
/// The pool of a streamed epoch's shuffling: up to <see cref="Capacity"/> rows, stored as the minibatches hold them (dense
/// rows as all their values, sparse rows as their non-zeros), from which the next row of a batch is drawn at random and
/// replaced by the next row read. Storage is allocated once (sparse slots grow to the largest row they have held).
/// </summary>
internal sealed class ShuffleBuffer
{
    private readonly int _width;
    private readonly int _targetWidth;
    private readonly bool _sparse;
    private readonly float[] _dense;
    private readonly int[][] _indices;
    private readonly float[][] _values;
    private readonly int[] _lengths;
    private readonly float[] _targets;
    private readonly float[] _weights;

    /// <summary>Allocates the pool.</summary>
    /// <param name="capacity">Rows it holds (≥ 1).</param>
    /// <param name="width">Features per row.</param>
    /// <param name="targetWidth">Target values per row.</param>
    /// <param name="sparse">Whether rows are stored sparse.</param>
    public ShuffleBuffer(int capacity, int width, int targetWidth, bool sparse)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _width = width;
        _targetWidth = targetWidth;
        _sparse = sparse;
        _dense = sparse ? [] : new float[checked(capacity * width)];
        _indices = sparse ? new int[capacity][] : [];
        _values = sparse ? new float[capacity][] : [];
        _lengths = sparse ? new int[capacity] : [];
        _targets = new float[checked(capacity * targetWidth)];
        _weights = new float[capacity];
    }

    /// <summary>Rows the pool holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Rows it holds now.</summary>
    public int Count { get; private set; }

    /// <summary>Empties the pool.</summary>
    public void Clear() => Count = 0;

    /// <summary>Adds a row (the pool must not be full).</summary>
    public void Add(RowView row) => Set(Count++, row);

    /// <summary>Replaces the row in <paramref name="slot"/>.</summary>
    public void Set(int slot, RowView row)
    {
        row.Target.CopyTo(_targets.AsSpan(slot * _targetWidth, _targetWidth));
        _weights[slot] = row.Weight;
        if (!_sparse)
        {
            Span<float> dense = _dense.AsSpan(slot * _width, _width);
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

            return;
        }

        int needed = 0;
        foreach (float v in row.Values)
        {
            needed += v != 0f ? 1 : 0;
        }

        if ((_indices[slot]?.Length ?? 0) < needed)
        {
            _indices[slot] = new int[needed];
            _values[slot] = new float[needed];
        }

        int[] indices = _indices[slot];
        float[] values = _values[slot];
        int n = 0;
        for (int k = 0; k < row.Values.Length; k++)
        {
            if (row.Values[k] != 0f)
            {
                indices[n] = row.IsDense ? k : row.Indices[k];
                values[n++] = row.Values[k];
            }
        }

        _lengths[slot] = n;
    }

    /// <summary>The row in <paramref name="slot"/> (dense or sparse, as the pool stores rows).</summary>
    public RowView Get(int slot) => _sparse
        ? new RowView(false, _values[slot].AsSpan(0, _lengths[slot]), _indices[slot].AsSpan(0, _lengths[slot]), _targets.AsSpan(slot * _targetWidth, _targetWidth), _weights[slot])
        : new RowView(true, _dense.AsSpan(slot * _width, _width), default, _targets.AsSpan(slot * _targetWidth, _targetWidth), _weights[slot]);

    /// <summary>Removes the row in <paramref name="slot"/> by moving the last row there.</summary>
    public void RemoveAt(int slot)
    {
        int last = --Count;
        if (slot == last)
        {
            return;
        }

        _targets.AsSpan(last * _targetWidth, _targetWidth).CopyTo(_targets.AsSpan(slot * _targetWidth, _targetWidth));
        _weights[slot] = _weights[last];
        if (_sparse)
        {
            (_indices[slot], _indices[last]) = (_indices[last], _indices[slot]);
            (_values[slot], _values[last]) = (_values[last], _values[slot]);
            _lengths[slot] = _lengths[last];
        }
        else
        {
            _dense.AsSpan(last * _width, _width).CopyTo(_dense.AsSpan(slot * _width, _width));
        }
    }
}
