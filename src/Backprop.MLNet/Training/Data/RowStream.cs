using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// One streamed epoch's rows in their training order: read from a cursor (kept or not by a hold-out filter) and, when
/// shuffling, drawn at random from a <see cref="ShuffleBuffer"/> that each drawn row's successor in the source replaces.
/// Used by one thread at a time; the order depends only on the source and the seed.
/// </summary>
internal sealed class RowStream : IDisposable
{
    private readonly IRowCursor _cursor;
    private readonly ShuffleBuffer? _pool;
    private readonly SeededRandom? _poolRandom;
    private readonly RowFilter? _filter;
    private readonly InputStandardization? _standardization;
    private bool _sourceDone;

    /// <summary>Opens the epoch's pass over the source.</summary>
    /// <param name="source">The rows.</param>
    /// <param name="seed">The epoch's shuffle seed, or null to read in the stored order.</param>
    /// <param name="pool">The shuffle buffer (emptied here) when shuffling, else null.</param>
    /// <param name="filter">The rows to keep, or null for all.</param>
    /// <param name="standardization">Applied to the rows as they are written to a batch, or null.</param>
    public RowStream(IRowSource source, ulong? seed, ShuffleBuffer? pool, RowFilter? filter, InputStandardization? standardization)
    {
        _cursor = source.Open(seed);
        _pool = seed is null ? null : pool;
        _pool?.Clear();
        _poolRandom = _pool is null ? null : SeededRandom.FromSeed(~seed!.Value);
        _filter = filter;
        _standardization = standardization;
    }

    /// <summary>Rows given so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Σ of the weights of the rows given so far (in the order given).</summary>
    public double Weight { get; private set; }

    /// <summary>Fills <paramref name="batch"/> with the next rows (as many as fit, fewer at the end); returns the rows written.</summary>
    public int Fill(StreamedBatch batch)
    {
        batch.Clear();
        while (batch.Rows < batch.Capacity && NextInto(batch))
        {
        }

        return batch.Rows;
    }

    /// <summary>Closes the cursor.</summary>
    public void Dispose() => _cursor.Dispose();

    private bool NextInto(StreamedBatch batch)
    {
        if (_pool is null)
        {
            if (!MoveNext())
            {
                return false;
            }

            Emit(batch, RowView.Of(_cursor));
            return true;
        }

        while (!_sourceDone && _pool.Count < _pool.Capacity)
        {
            if (MoveNext())
            {
                _pool.Add(RowView.Of(_cursor));
            }
        }

        if (_pool.Count == 0)
        {
            return false;
        }

        int slot = _poolRandom!.NextInt(_pool.Count);
        Emit(batch, _pool.Get(slot));
        if (MoveNext())
        {
            _pool.Set(slot, RowView.Of(_cursor));
        }
        else
        {
            _pool.RemoveAt(slot);
        }

        return true;
    }

    private void Emit(StreamedBatch batch, RowView row)
    {
        batch.Add(row, _standardization);
        Rows++;
        Weight += row.Weight;
    }

    /// <summary>Moves the cursor to the next row the filter keeps; false (and remembered) at the end of the source.</summary>
    private bool MoveNext()
    {
        if (_sourceDone)
        {
            return false;
        }

        while (_cursor.MoveNext())
        {
            if (_filter is not { } filter || filter.Keeps(_cursor.Id))
            {
                return true;
            }
        }

        _sourceDone = true;
        return false;
    }
}
