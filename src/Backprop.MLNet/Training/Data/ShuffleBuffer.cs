using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// The pool of a streamed epoch's shuffling: up to <see cref="Capacity"/> rows, stored as the minibatches hold them (dense
/// rows as all their values, sparse rows as their non-zeros), from which the next row of a batch is drawn at random and
/// replaced by the next row read. It holds the rows of two epochs at once: the <em>current</em> epoch's, drawn from, and,
/// once the current epoch's source has run out, the <em>next</em> epoch's first rows, read into the slots the drawn rows
/// free, so that reading goes on while the current epoch's last rows are drawn. Slots are reached through an order array
/// (current rows first, then next), so a removal moves two indices, never a row. Storage is allocated once (sparse slots
/// grow to the largest row they have held).
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

    /// <summary>Slots in use: <c>[0, Current)</c> hold the current epoch's rows, <c>[Current, Current + Next)</c> the next one's.</summary>
    private readonly int[] _order;

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
        _dense = sparse ? [] : LargeArrays.Allocate<float>(checked(capacity * width));
        _indices = sparse ? new int[capacity][] : [];
        _values = sparse ? new float[capacity][] : [];
        _lengths = sparse ? new int[capacity] : [];
        _targets = new float[checked(capacity * targetWidth)];
        _weights = new float[capacity];
        _order = new int[capacity];
        Clear();
    }

    /// <summary>Rows the pool holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Rows of the current epoch it holds.</summary>
    public int Current { get; private set; }

    /// <summary>Rows of the next epoch it holds.</summary>
    public int Next { get; private set; }

    /// <summary>Whether every slot holds a row.</summary>
    public bool IsFull => Current + Next == Capacity;

    /// <summary>Empties the pool.</summary>
    public void Clear()
    {
        (Current, Next) = (0, 0);
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }
    }

    /// <summary>Adds a row of the current epoch (the pool must not be full nor hold rows of the next epoch).</summary>
    public void AddCurrent(RowView row)
    {
        if (Next != 0 || IsFull)
        {
            throw new InvalidOperationException("No free slot for a row of the current epoch.");
        }

        Set(_order[Current++], row);
    }

    /// <summary>Adds a row of the next epoch (the pool must not be full).</summary>
    public void AddNext(RowView row)
    {
        if (IsFull)
        {
            throw new InvalidOperationException("The shuffle buffer is full.");
        }

        Set(_order[Current + Next++], row);
    }

    /// <summary>The current epoch's row number <paramref name="j"/> (&lt; <see cref="Current"/>), dense or sparse as the pool stores rows.</summary>
    public RowView GetCurrent(int j) => Get(_order[j]);

    /// <summary>Replaces the current epoch's row number <paramref name="j"/> by another row of the current epoch.</summary>
    public void ReplaceCurrent(int j, RowView row) => Set(_order[j], row);

    /// <summary>Frees the slot of the current epoch's row number <paramref name="j"/>, which follows the next epoch's rows.</summary>
    public void RemoveCurrent(int j)
    {
        int lastCurrent = Current - 1;
        (_order[j], _order[lastCurrent]) = (_order[lastCurrent], _order[j]);
        int lastNext = Current + Next - 1;
        (_order[lastCurrent], _order[lastNext]) = (_order[lastNext], _order[lastCurrent]);
        Current--;
    }

    /// <summary>Starts the next epoch: its rows become the current ones (the current epoch's must all be drawn).</summary>
    public void PromoteNext()
    {
        if (Current != 0)
        {
            throw new InvalidOperationException("Rows of the current epoch are left.");
        }

        (Current, Next) = (Next, 0);
    }

    private void Set(int slot, RowView row)
    {
        row.Target.CopyTo(_targets.AsSpan(slot * _targetWidth, _targetWidth));
        _weights[slot] = row.Weight;
        if (!_sparse)
        {
            row.CopyDenseTo(_dense.AsSpan(slot * _width, _width));
            return;
        }

        int needed = row.NonZeroCount();
        if ((_indices[slot]?.Length ?? 0) < needed)
        {
            _indices[slot] = new int[needed];
            _values[slot] = new float[needed];
        }

        _lengths[slot] = row.CopyNonZerosTo(_indices[slot], _values[slot]);
    }

    private RowView Get(int slot) => _sparse
        ? new RowView(false, _values[slot].AsSpan(0, _lengths[slot]), _indices[slot].AsSpan(0, _lengths[slot]), _targets.AsSpan(slot * _targetWidth, _targetWidth), _weights[slot])
        : new RowView(true, _dense.AsSpan(slot * _width, _width), default, _targets.AsSpan(slot * _targetWidth, _targetWidth), _weights[slot]);
}
