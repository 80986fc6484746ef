using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Kernels;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// The blocks of one <see cref="BlockScoringCursor"/>: reads feature vectors ahead through the look-ahead cursor into a
/// ring of <see cref="ScoreBlock"/>s and scores them on the consumer's thread and on up to <c>threads − 1</c> helpers
/// from the .NET thread pool, each block whole on one thread.
/// </summary>
/// <remarks>
/// <para><b>Why whole blocks per thread.</b> Splitting each layer of one block over threads (what training does) makes
/// the consumer's own work (reading rows through the input cursor, filling the block, serving Score and PredictedLabel
/// row by row) a serial phase during which the other cores idle, and adds a barrier per layer. Here the consumer only
/// reads and serves, and scores a block itself when no helper has taken it yet; helpers score the blocks already read.
/// Blocks are claimed in order with one interlocked counter, and each block's bits do not depend on who scored it
/// (<see cref="PackedNetwork"/>), so the results are those of one thread.</para>
/// <para><b>Robustness.</b> The consumer never waits for a helper that has not started: it claims unscored blocks
/// itself, and only spins for a block a helper is in the middle of. A helper that finds nothing to claim exits (and is
/// queued again when there is). An exception a helper meets is rethrown on the consumer when it reaches that block.
/// The helpers never touch the input cursor, which stays on the consumer's thread. After <see cref="Stop"/>, helpers
/// claim nothing more; a block already being scored finishes into buffers nobody reads.</para>
/// <para><b>Blocks kept.</b> The blocks come from the model's <see cref="ScoreBlockPool"/> and go back to it when the
/// last of their users lets go: the consumer (at <see cref="Stop"/>) and every helper queued (when it exits), counted in
/// one reference count that a helper raises before it is queued by someone who holds a reference, so the count never
/// rises again from zero and no block is lent while a late helper could still write to it.</para>
/// <para>The methods that run once per block are compiled fully optimised on first use: with tiered compilation,
/// code called a few dozen times per 10,000 rows would stay unoptimised for the first several passes.</para>
/// </remarks>
internal sealed class BlockPipeline : IThreadPoolWorkItem
{
    private readonly DataViewRowCursor _ahead;
    private readonly ValueGetter<VBuffer<float>> _getFeatures;
    private readonly Slot[] _slots;
    private readonly int _maximumHelpers;
    private readonly KernelIsa _isa;
    private VBuffer<float> _features;

    /// <summary>Blocks read so far (written by the consumer only; read by helpers).</summary>
    private long _loaded;

    /// <summary>The next block to claim for scoring.</summary>
    private long _nextToScore;

    /// <summary>Helpers queued or running.</summary>
    private int _activeHelpers;

    /// <summary>Helpers queued so far.</summary>
    private int _helpersQueued;

    /// <summary>Users of the blocks: the consumer until <see cref="Stop"/>, and each helper queued until it exits.</summary>
    private int _references = 1;

    private bool _inputDone;
    private volatile bool _stopped;
    private readonly ScoreBlockPool _pool;

    /// <summary>Creates the ring of blocks and opens nothing (the look-ahead cursor is given).</summary>
    /// <param name="model">The model.</param>
    /// <param name="ahead">The look-ahead cursor over the feature column (owned by the caller).</param>
    /// <param name="features">The feature column.</param>
    /// <param name="blockRows">Rows per block.</param>
    /// <param name="threads">Threads to use, the consumer included.</param>
    public BlockPipeline(BackpropModelParameters model, DataViewRowCursor ahead, DataViewSchema.Column features, int blockRows, int threads)
    {
        _ahead = ahead;
        _getFeatures = ahead.GetGetter<VBuffer<float>>(features);
        _maximumHelpers = Math.Max(0, threads - 1);
        // Four blocks beyond one per thread: a helper that finds nothing read ahead exits and must be queued again,
        // which costs a thread-pool wake-up; with this much read ahead that happens a few times per 10,000 rows.
        _slots = new Slot[_maximumHelpers + 4];
        _pool = model.ScoreBlocks;
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot(_pool.Rent(model, blockRows));
        }

        _isa = KernelPath.Current;
    }

    /// <summary>
    /// Block <paramref name="index"/> (0, 1, 2, … in order, each asked for once), scored; null when the input has no rows
    /// left. Reads ahead as far as the ring allows first.
    /// </summary>
    /// <param name="index">The block number.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ScoreBlock? Next(long index)
    {
        Load(index);
        if (index >= _loaded)
        {
            return null;
        }

        Slot slot = _slots[index % _slots.Length];
        var spinner = default(SpinWait);
        while (Volatile.Read(ref slot.Scored) != index)
        {
            if (!TryScoreNext())
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }

        if (slot.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return slot.Block;
    }

    /// <summary>The most helpers scoring at once: the threads given, less the consumer's.</summary>
    public int MaximumHelpers => _maximumHelpers;

    /// <summary>Helpers queued to the thread pool so far (each scores blocks until none is left, then exits).</summary>
    public int HelpersQueued => Volatile.Read(ref _helpersQueued);

    /// <summary>The blocks of the ring (for tests).</summary>
    internal IEnumerable<ScoreBlock> Blocks => _slots.Select(slot => slot.Block);

    /// <summary>Stops helpers from claiming more blocks, and lets the blocks go back to the pool once no helper uses them (call once).</summary>
    public void Stop()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        Release();
    }

    /// <summary>A helper's run: scores blocks until none is left to claim.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IThreadPoolWorkItem.Execute()
    {
        while (!_stopped && TryScoreNext())
        {
        }

        Interlocked.Decrement(ref _activeHelpers);
        // A block read after the last failed claim and before the decrement would otherwise wait for the consumer.
        if (!_stopped)
        {
            StartHelpers();
        }

        Release();
    }

    /// <summary>One user lets go of the blocks; the last returns them to the pool.</summary>
    private void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            foreach (Slot slot in _slots)
            {
                _pool.Return(slot.Block);
            }
        }
    }

    /// <summary>Reads blocks into free slots: every slot whose last block is before <paramref name="index"/> was served.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Load(long index)
    {
        while (!_inputDone && _loaded < index + _slots.Length)
        {
            Slot slot = _slots[_loaded % _slots.Length];
            ScoreBlock block = slot.Block;
            int rows = 0;
            while (rows < block.Capacity)
            {
                if (!_ahead.MoveNext())
                {
                    _inputDone = true;
                    break;
                }

                _getFeatures(ref _features);
                block.SetFeatures(rows++, _features);
            }

            if (rows == 0)
            {
                break;
            }

            slot.Rows = rows;
            slot.Failure = null;
            Volatile.Write(ref _loaded, _loaded + 1);
            StartHelpers();
        }
    }

    /// <summary>Queues helpers while fewer than allowed are active and blocks wait to be scored.</summary>
    private void StartHelpers()
    {
        while (true)
        {
            int active = Volatile.Read(ref _activeHelpers);
            if (active >= _maximumHelpers || Volatile.Read(ref _nextToScore) >= Volatile.Read(ref _loaded))
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _activeHelpers, active + 1, active) == active)
            {
                // Raised by the consumer or a running helper, each holding a reference: never from zero.
                Interlocked.Increment(ref _references);
                Interlocked.Increment(ref _helpersQueued);
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return;
            }
        }
    }

    /// <summary>Claims the next read, unscored block and scores it; false when there is none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryScoreNext()
    {
        long next = Volatile.Read(ref _nextToScore);
        if (next >= Volatile.Read(ref _loaded))
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _nextToScore, next + 1, next) != next)
        {
            return true;
        }

        Slot slot = _slots[next % _slots.Length];
        try
        {
            // The consumer's kernel path (tests force one per thread; the training layout's bits depend on it).
            using (KernelPath.Force(_isa))
            {
                slot.Block.Score(slot.Rows, threads: 1);
            }
        }
        catch (Exception e)
        {
            slot.Failure = e;
        }

        Volatile.Write(ref slot.Scored, next);
        return true;
    }

    /// <summary>One block of the ring and the number of the block it holds once scored.</summary>
    private sealed class Slot(ScoreBlock block)
    {
        /// <summary>The buffers.</summary>
        public readonly ScoreBlock Block = block;

        /// <summary>Rows read into the block.</summary>
        public int Rows;

        /// <summary>The number of the block last scored in this slot (−1 before the first).</summary>
        public long Scored = -1;

        /// <summary>What scoring the block threw, if anything.</summary>
        public Exception? Failure;
    }
}
