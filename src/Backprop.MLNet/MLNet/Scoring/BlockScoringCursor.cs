using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// An unshuffled cursor of a <see cref="BlockScoringDataView"/>: the main input cursor supplies the pass-through
/// columns, the position and the row id; a look-ahead input cursor over the feature column feeds a
/// <see cref="BlockPipeline"/>, which reads and scores blocks ahead, and the added columns are read from the block the
/// main cursor is in (see the remarks on <see cref="BlockScoringDataView"/>).
/// </summary>
internal sealed class BlockScoringCursor : DataViewRowCursor
{
    private readonly BlockScoringDataView _view;
    private readonly BlockScoringPlan _plan;
    private readonly bool[] _active;
    private readonly DataViewRowCursor _main;
    private readonly DataViewRowCursor? _ahead;
    private readonly BlockPipeline? _pipeline;
    private ScoreBlock? _block;
    private long _blockIndex;
    private int _row = -1;
    private bool _disposed;

    /// <summary>Opens the input cursors: the main one over the active pass-through columns, the look-ahead one (only when an added column is active) over the features.</summary>
    /// <param name="view">The scored view.</param>
    /// <param name="input">The data given to Transform.</param>
    /// <param name="active">Active flags, one per column of the view's schema.</param>
    public BlockScoringCursor(BlockScoringDataView view, IDataView input, bool[] active)
    {
        _view = view;
        _plan = view.Plan;
        _active = active;
        var passthrough = new List<DataViewSchema.Column>();
        for (int i = 0; i < _plan.PassthroughCount; i++)
        {
            if (active[i])
            {
                passthrough.Add(input.Schema[i]);
            }
        }

        bool scores = false;
        for (int i = _plan.PassthroughCount; i < active.Length; i++)
        {
            scores |= active[i];
        }

        _main = input.GetRowCursor(passthrough);
        if (scores)
        {
            _ahead = input.GetRowCursor([_plan.Features]);
            // Threads scoring blocks, the consumer's included, fixed for the cursor's life (results do not depend on it).
            _pipeline = new BlockPipeline(view.Model, _ahead, _plan.Features, view.BlockRows, view.Model.ScoringThreads);
        }
    }

    /// <inheritdoc/>
    public override DataViewSchema Schema => _view.Schema;

    /// <summary>The blocks being read and scored, or null when no added column is active (for tests).</summary>
    internal BlockPipeline? Pipeline => _pipeline;

    /// <summary>The main input cursor's position.</summary>
    public override long Position => _main.Position;

    /// <summary>The main input cursor's batch.</summary>
    public override long Batch => _main.Batch;

    /// <summary>The main input cursor's row ids.</summary>
    public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

    /// <inheritdoc/>
    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        CheckColumn(column);
        return _active[column.Index];
    }

    /// <summary>Moves the main cursor; on entering a new block, takes the next scored block from the pipeline.</summary>
    /// <returns>False at the end of the input.</returns>
    public override bool MoveNext()
    {
        if (_disposed || !_main.MoveNext())
        {
            _row = -1;
            return false;
        }

        if (_pipeline is not null && (_block is null || ++_row >= _block.Rows))
        {
            NextBlock();
        }

        return true;
    }

    /// <summary>Moves to the next scored block (the pipeline reads and scores ahead).</summary>
    private void NextBlock()
    {
        _block = _pipeline!.Next(_blockIndex++) ?? throw new InvalidOperationException(
            "The input of the Backprop transformer gave its look-ahead cursor fewer rows than its main cursor, so two " +
            "unshuffled cursors of the same IDataView disagree, which breaks IDataView's repeatability contract. " +
            "Cache the input (mlContext.Data.Cache) or score it with a PredictionEngine.");
        _row = 0;
    }

    /// <summary>A getter of column <paramref name="column"/>: the main cursor's for a pass-through column, else one reading the current block.</summary>
    /// <typeparam name="TValue">The column's type (Single, Boolean, UInt32 for the key, VBuffer&lt;Single&gt; or VBuffer&lt;Boolean&gt; for a vector).</typeparam>
    /// <param name="column">An active column of <see cref="Schema"/>.</param>
    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        CheckColumn(column);
        if (!_active[column.Index])
        {
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; request it in GetRowCursor.");
        }

        if (column.Index < _plan.PassthroughCount)
        {
            return _main.GetGetter<TValue>(_main.Schema[column.Index]);
        }

        ScoredColumnKind kind = _plan.Added[column.Index - _plan.PassthroughCount];
        Delegate getter = kind switch
        {
            ScoredColumnKind.Logit => (ValueGetter<float>)((ref float dst) => dst = CurrentBlock().Logits(_row)[0]),
            ScoredColumnKind.Output => (ValueGetter<float>)((ref float dst) => dst = CurrentBlock().Outputs(_row)[0]),
            ScoredColumnKind.PositiveLogit => (ValueGetter<bool>)((ref bool dst) => dst = ScoreBlock.PositiveLabel(CurrentBlock().Logits(_row)[0])),
            ScoredColumnKind.ArgMaxKey => (ValueGetter<uint>)((ref uint dst) => dst = ScoreBlock.ArgMaxKey(CurrentBlock().Outputs(_row))),
            ScoredColumnKind.LogitVector => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) => ScoreBlock.Dense(CurrentBlock().Logits(_row), ref dst)),
            ScoredColumnKind.PositiveLogitVector => (ValueGetter<VBuffer<bool>>)((ref VBuffer<bool> dst) => ScoreBlock.PositiveLabels(CurrentBlock().Logits(_row), ref dst)),
            _ => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) => ScoreBlock.Dense(CurrentBlock().Outputs(_row), ref dst)),
        };
        return getter as ValueGetter<TValue> ?? throw new InvalidOperationException(
            $"Column '{column.Name}' is {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }

    /// <summary>The block holding the current row; throws when the cursor is not on a row.</summary>
    private ScoreBlock CurrentBlock()
    {
        if (_row < 0)
        {
            throw new InvalidOperationException("The cursor is not on a row: call MoveNext first, and read no values after it returned false.");
        }

        return _block!;
    }

    /// <summary>Throws unless <paramref name="column"/> is a column of this cursor's schema.</summary>
    private void CheckColumn(DataViewSchema.Column column)
    {
        if (column.Index < 0 || column.Index >= _active.Length || Schema[column.Index].Name != column.Name)
        {
            throw new ArgumentOutOfRangeException(nameof(column), column.Name, "The column is not a column of this scored view's schema.");
        }
    }

    /// <summary>Disposes both input cursors.</summary>
    /// <param name="disposing">True from Dispose.</param>
    protected override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (disposing)
        {
            _pipeline?.Stop();
            _ahead?.Dispose();
            _main.Dispose();
        }

        _disposed = true;
        base.Dispose(disposing);
    }
}
