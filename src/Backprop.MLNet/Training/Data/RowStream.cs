using System.Runtime.ExceptionServices;
using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Streamed epochs' rows in their training order, one epoch after another: read from a cursor per epoch (kept or not by a
/// hold-out filter) and, when shuffling, drawn at random from a <see cref="ShuffleBuffer"/> that each drawn row's successor
/// in the source replaces. Once an epoch's source has run out, the rows drawn from the buffer are replaced by the next
/// epoch's first rows, so reading never stops while the buffer empties. Used by one thread at a time; the order depends
/// only on the source and the epochs' seeds.
/// </summary>
internal sealed class RowStream : IDisposable
{
    private readonly IRowSource _source;
    private readonly Func<long, ulong>? _epochSeed;
    private readonly bool _sourceShuffles;
    private readonly ShuffleBuffer? _pool;
    private readonly RowFilter? _filter;
    private readonly InputStandardization? _standardization;
    private long _epoch;
    private Pass _current;
    private Pass? _next;
    private bool _nextDone;
    private ExceptionDispatchInfo? _nextError;
    private SeededRandom? _draws;

    /// <summary>Opens the pass of epoch <paramref name="epoch"/>.</summary>
    /// <param name="source">The rows.</param>
    /// <param name="epoch">The first epoch's number.</param>
    /// <param name="epochSeed">An epoch's shuffle seed from its number, or null to read every epoch in the stored order.</param>
    /// <param name="sourceShuffles">Whether a shuffled epoch asks the source for its own shuffled order too.</param>
    /// <param name="pool">The shuffle buffer (emptied here) when shuffling, else null.</param>
    /// <param name="filter">The rows to keep, or null for all.</param>
    /// <param name="standardization">Applied to the rows as they are written to a batch, or null.</param>
    public RowStream(IRowSource source, long epoch, Func<long, ulong>? epochSeed, bool sourceShuffles, ShuffleBuffer? pool, RowFilter? filter,
        InputStandardization? standardization)
    {
        _source = source;
        _epochSeed = epochSeed;
        _sourceShuffles = sourceShuffles;
        _pool = epochSeed is null ? null : pool;
        _pool?.Clear();
        _filter = filter;
        _standardization = standardization;
        _epoch = epoch;
        _current = Open(epoch);
        _draws = Draws(epoch);
    }

    /// <summary>Rows given so far in this epoch.</summary>
    public long Rows { get; private set; }

    /// <summary>Σ of the weights of the rows given so far in this epoch (in the order given).</summary>
    public double Weight { get; private set; }

    /// <summary>Fills <paramref name="batch"/> with the epoch's next rows (as many as fit, fewer at its end); returns the rows written.</summary>
    public int Fill(StreamedBatch batch)
    {
        batch.Clear();
        while (batch.Rows < batch.Capacity && NextInto(batch))
        {
        }

        return batch.Rows;
    }

    /// <summary>
    /// Moves on to the next epoch (after <see cref="Fill"/> found this one's end). An exception met while reading the next
    /// epoch's rows ahead is thrown here, when that epoch is wanted, not before.
    /// </summary>
    public void NextEpoch()
    {
        if (_nextError is { } error)
        {
            _nextError = null;
            error.Throw();
        }

        _current.Dispose();
        _epoch++;
        _current = _next ?? Open(_epoch);
        (_next, _nextDone) = (null, false);
        _pool?.PromoteNext();
        _draws = Draws(_epoch);
        (Rows, Weight) = (0, 0);
    }

    /// <summary>Closes the cursors.</summary>
    public void Dispose()
    {
        _current.Dispose();
        _next?.Dispose();
    }

    private Pass Open(long epoch) =>
        new(_source.Open(_epochSeed is not null && _sourceShuffles && _source.CanShuffle ? _epochSeed(epoch) : null), _filter);

    private SeededRandom? Draws(long epoch) => _pool is null ? null : SeededRandom.FromSeed(~_epochSeed!(epoch));

    private bool NextInto(StreamedBatch batch)
    {
        if (_pool is null)
        {
            if (!_current.MoveNext())
            {
                return false;
            }

            Emit(batch, _current.Row);
            return true;
        }

        // The first epoch fills the buffer here; later ones find it filled by the previous epoch's read-ahead.
        while (!_pool.IsFull && _current.MoveNext())
        {
            _pool.AddCurrent(_current.Row);
        }

        if (_pool.Current == 0)
        {
            return false;
        }

        int j = _draws!.NextInt(_pool.Current);
        Emit(batch, _pool.GetCurrent(j));
        if (_current.MoveNext())
        {
            _pool.ReplaceCurrent(j, _current.Row);
        }
        else
        {
            _pool.RemoveCurrent(j);
            ReadAhead();
        }

        return true;
    }

    /// <summary>Reads the next epoch's next row into the slot just freed; a failure is kept for <see cref="NextEpoch"/>.</summary>
    private void ReadAhead()
    {
        if (_nextDone)
        {
            return;
        }

        try
        {
            _next ??= Open(_epoch + 1);
            if (_next.MoveNext())
            {
                _pool!.AddNext(_next.Row);
                return;
            }
        }
        catch (Exception e)
        {
            _nextError = ExceptionDispatchInfo.Capture(e);
        }

        _nextDone = true;
    }

    private void Emit(StreamedBatch batch, RowView row)
    {
        batch.Add(row, _standardization);
        Rows++;
        Weight += row.Weight;
    }

    /// <summary>One epoch's cursor, moving only to the rows the filter keeps and remembering its end.</summary>
    private sealed class Pass(IRowCursor cursor, RowFilter? filter) : IDisposable
    {
        private bool _done;

        public RowView Row => RowView.Of(cursor);

        /// <summary>Moves to the next row the filter keeps; false (and remembered) at the end of the source.</summary>
        public bool MoveNext()
        {
            if (_done)
            {
                return false;
            }

            while (cursor.MoveNext())
            {
                if (filter is not { } f || f.Keeps(cursor.Id))
                {
                    return true;
                }
            }

            _done = true;
            return false;
        }

        public void Dispose() => cursor.Dispose();
    }
}
