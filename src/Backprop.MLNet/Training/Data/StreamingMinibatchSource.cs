using System.Runtime.ExceptionServices;
using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// The minibatches of rows read from an <see cref="IRowSource"/> every epoch, with memory bounded by a few batches and the
/// shuffle buffer. A reader thread fills the next batches (<see cref="RowStream"/>) while the training thread trains on
/// the current one, so reading overlaps training. Without shuffling the rows come in the source's order: the batches are
/// those an in-memory <see cref="MinibatchSource"/> cuts from the same rows. With shuffling, each epoch draws a seed from
/// the training's generator (on the training thread, so the draws interleave with dropout's exactly as they would in
/// memory); the source reads in its own shuffled order when it can, and every batch row is drawn at random from the
/// shuffle buffer. The order depends only on the generator's state and the source, never on timing or threads. An
/// exception of the reader reaches the training thread unchanged at its next batch.
/// </summary>
internal sealed class StreamingMinibatchSource : IMinibatchSource
{
    /// <summary>Batches in flight: the one being trained on and two being read ahead.</summary>
    private const int Slots = 3;

    private readonly IRowSource _source;
    private readonly SeededRandom? _random;
    private readonly InputStandardization? _standardization;
    private readonly RowFilter? _filter;
    private readonly ShuffleBuffer? _pool;
    private readonly StreamedBatch[] _slots;
    private readonly int[] _slotRows = new int[Slots];
    private Thread? _reader;
    private SemaphoreSlim _free = new(0);
    private SemaphoreSlim _ready = new(0);
    private volatile bool _abort;
    private ExceptionDispatchInfo? _error;
    private long _next;
    private bool _holding;
    private bool _ended = true;
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
    public StreamingMinibatchSource(IRowSource source, int batchSize, bool sparse, SeededRandom? random, int shuffleBufferRows,
        InputStandardization? standardization, RowFilter? filter)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _source = source;
        _random = random;
        _standardization = standardization;
        _filter = filter;
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
        StopReader();
        EpochRows = 0;
        EpochWeight = 0;
        ulong? seed = _random?.NextUInt64();
        (_free, _ready) = (new SemaphoreSlim(Slots), new SemaphoreSlim(0));
        (_abort, _error, _next, _holding, _ended) = (false, null, 0, false, false);
        _reader = new Thread(() => Read(seed)) { IsBackground = true, Name = "Backprop.MLNet row reader" };
        _reader.Start();
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
            // The end of the epoch, or the reader's failure.
            _ended = true;
            _reader!.Join();
            _reader = null;
            if (_error is { } error)
            {
                _error = null;
                error.Throw();
            }

            (EpochRows, EpochWeight) = (_readerRows, _readerWeight);
            return false;
        }

        _holding = true;
        batch = _slots[slot].View();
        return true;
    }

    /// <summary>Stops the reader (closing its cursor) if an epoch is under way.</summary>
    public void Dispose() => StopReader();

    /// <summary>The reader thread: fills free slots in order until the epoch's rows run out; then, or on failure, marks the end.</summary>
    private void Read(ulong? seed)
    {
        long index = 0;
        try
        {
            using var stream = new RowStream(_source, seed, _pool, _filter, _standardization);
            while (true)
            {
                _free.Wait();
                if (_abort)
                {
                    return;
                }

                int slot = (int)(index++ % Slots);
                int rows = stream.Fill(_slots[slot]);
                _slotRows[slot] = rows;
                if (rows == 0)
                {
                    (_readerRows, _readerWeight) = (stream.Rows, stream.Weight);
                    _ready.Release();
                    return;
                }

                _ready.Release();
            }
        }
        catch (Exception e)
        {
            _error = ExceptionDispatchInfo.Capture(e);
            _slotRows[(int)(index == 0 ? 0 : (index - 1) % Slots)] = 0;
            _ready.Release();
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
        _reader.Join();
        _reader = null;
        _ended = true;
    }
}
