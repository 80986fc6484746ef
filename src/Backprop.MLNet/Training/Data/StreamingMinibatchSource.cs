using System.Runtime.ExceptionServices;
using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// The minibatches of rows read from an <see cref="IRowSource"/> every epoch, with memory bounded by a few batches and the
/// shuffle buffer. A reader thread, started with the first epoch and kept until disposal, fills the next batches
/// (<see cref="RowStream"/>) while the training thread trains on the current one, so reading overlaps training; when
/// shuffling it reads the next epoch's first rows into the buffer while the current epoch's last rows are drawn from it, and
/// otherwise waits for <see cref="StartEpoch"/> before reading an epoch. Without shuffling the rows come in the source's
/// order: the batches are those an in-memory <see cref="MinibatchSource"/> cuts from the same rows. With shuffling, the
/// first epoch draws a seed from the training's generator (on the training thread, at a fixed point of its sequence of
/// draws), and epoch e's seed is a hash of it and e; the source reads in its own shuffled order when it can and the buffer
/// cannot hold every row, and every batch row is drawn at random from the shuffle buffer. The order depends only on the generator's state and the source,
/// never on timing or threads. An exception of the reader reaches the training thread unchanged at its next batch (one met
/// while reading ahead, in the epoch it belongs to).
/// </summary>
internal sealed class StreamingMinibatchSource : IMinibatchSource
{
    /// <summary>Batches in flight: the one being trained on and two being read ahead.</summary>
    private const int Slots = 3;

    private readonly IRowSource _source;
    private readonly SeededRandom? _random;
    private readonly InputStandardization? _standardization;
    private readonly RowFilter? _filter;
    private readonly bool _sourceShuffles;
    private readonly ShuffleBuffer? _pool;
    private readonly StreamedBatch[] _slots;
    private readonly int[] _slotRows = new int[Slots];
    private Thread? _reader;
    private SemaphoreSlim _free = new(0);
    private SemaphoreSlim _ready = new(0);
    private SemaphoreSlim _go = new(0);
    private volatile bool _abort;
    private ExceptionDispatchInfo? _error;
    private long _next;
    private bool _holding;
    private bool _ended = true;
    private long _epoch = -1;
    private ulong? _baseSeed;
    private long _readerRows;
    private double _readerWeight;

    /// <summary>Prepares the batches (nothing is read until <see cref="StartEpoch"/>).</summary>
    /// <param name="source">The rows.</param>
    /// <param name="batchSize">Rows per batch (≥ 1).</param>
    /// <param name="sparse">Whether batches hold their features in CSR form (else dense).</param>
    /// <param name="random">The training's generator when shuffling, else null.</param>
    /// <param name="shuffleBufferRows">Rows in the shuffle buffer (used when shuffling).</param>
    /// <param name="standardization">Applied to every row as it enters a batch, or null.</param>
    /// <param name="filter">The rows to keep (a hold-out part), or null for all.</param>
    /// <param name="sourceShuffles">
    /// When shuffling, whether to read a source that can shuffle in its own shuffled order too (worth its cost only when
    /// the buffer cannot hold every row).
    /// </param>
    public StreamingMinibatchSource(IRowSource source, int batchSize, bool sparse, SeededRandom? random, int shuffleBufferRows,
        InputStandardization? standardization, RowFilter? filter, bool sourceShuffles = true)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _source = source;
        _random = random;
        _standardization = standardization;
        _filter = filter;
        _sourceShuffles = sourceShuffles;
        BatchSize = batchSize;
        _slots = new StreamedBatch[Slots];
        for (int i = 0; i < Slots; i++)
        {
            _slots[i] = new StreamedBatch(batchSize, source.InputSize, source.TargetWidth, sparse, source.HasWeights);
        }

        _pool = random is null ? null : new ShuffleBuffer(Math.Max(1, shuffleBufferRows), source.InputSize, source.TargetWidth, sparse);
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
        _epoch++;
        if (_random is not null && _baseSeed is null)
        {
            _baseSeed = _random.NextUInt64();
        }

        if (!_ended)
        {
            // The previous epoch was left unfinished: start the reader again at this epoch.
            StopReader();
        }

        EpochRows = 0;
        EpochWeight = 0;
        (_holding, _ended) = (false, false);
        if (_reader is null)
        {
            (_free, _ready, _go) = (new SemaphoreSlim(Slots), new SemaphoreSlim(0), new SemaphoreSlim(0));
            (_abort, _error, _next) = (false, null, 0);
            long first = _epoch;
            _reader = new Thread(() => Read(first)) { IsBackground = true, Name = "Backprop.MLNet row reader" };
            _reader.Start();
        }

        _go.Release();
    }

    /// <inheritdoc />
    public bool Next(out Minibatch batch)
    {
        batch = default;
        if (_ended)
        {
            return false;
        }

        if (_holding)
        {
            _holding = false;
            _free.Release();
        }

        _ready.Wait();
        int slot = (int)(_next++ % Slots);
        if (_slotRows[slot] == 0)
        {
            // The end of the epoch (the slot is free again at once), or the reader's failure.
            _ended = true;
            _free.Release();
            if (_error is { } error)
            {
                _error = null;
                _reader!.Join();
                _reader = null;
                error.Throw();
            }

            (EpochRows, EpochWeight) = (_readerRows, _readerWeight);
            return false;
        }

        _holding = true;
        batch = _slots[slot].View();
        return true;
    }

    /// <summary>Stops the reader (closing its cursors).</summary>
    public void Dispose() => StopReader();

    /// <summary>
    /// The reader thread: from epoch <paramref name="first"/> on, waits for the epoch's start, then fills free slots in order
    /// until the epoch's rows run out and marks its end with an empty slot; on failure marks the next slot empty and stops.
    /// </summary>
    private void Read(long first)
    {
        long index = 0;
        bool holdsSlot = false;
        try
        {
            ulong? baseSeed = _baseSeed;
            Func<long, ulong>? epochSeed = baseSeed is ulong b ? e => SeededRandom.Hash(b + (ulong)e) : null;
            using var stream = new RowStream(_source, first, epochSeed, _sourceShuffles, _pool, _filter, _standardization);
            for (long epoch = first; ; epoch++)
            {
                _go.Wait();
                if (_abort)
                {
                    return;
                }

                if (epoch > first)
                {
                    stream.NextEpoch();
                }

                while (true)
                {
                    _free.Wait();
                    if (_abort)
                    {
                        return;
                    }

                    holdsSlot = true;
                    int slot = (int)(index % Slots);
                    int rows = stream.Fill(_slots[slot]);
                    _slotRows[slot] = rows;
                    if (rows == 0)
                    {
                        (_readerRows, _readerWeight) = (stream.Rows, stream.Weight);
                    }

                    index++;
                    holdsSlot = false;
                    _ready.Release();
                    if (rows == 0)
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception e)
        {
            _error = ExceptionDispatchInfo.Capture(e);
            if (!holdsSlot)
            {
                _free.Wait();
            }

            if (!_abort)
            {
                _slotRows[(int)(index % Slots)] = 0;
                _ready.Release();
            }
        }
    }

    private void StopReader()
    {
        if (_reader is null)
        {
            return;
        }

        _abort = true;
        _free.Release(Slots);
        _go.Release();
        _reader.Join();
        _reader = null;
        _ended = true;
    }
}
