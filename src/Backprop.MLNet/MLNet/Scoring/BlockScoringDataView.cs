using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// The view <see cref="BackpropTransformer.Transform(IDataView)"/> returns: the same schema and values as ML.NET's
/// row-by-row scorer (the <c>fallback</c> view, whose schema object this view shares), but an unshuffled cursor
/// scores its rows in blocks through the batched kernels of <see cref="Engine.Inference.PackedNetwork"/>, several blocks at once
/// on the consumer's thread and thread-pool helpers (<see cref="BlockPipeline"/>).
/// </summary>
/// <remarks>
/// <para><b>Design: two cursors over the same input.</b> ML.NET's data pipeline is pulled one row at a time, so a
/// cursor cannot ask its input for "the next 256 feature vectors" and still hand out the current row's other columns.
/// <see cref="BlockScoringCursor"/> therefore opens two cursors on the input, both unshuffled: a look-ahead cursor
/// with only the feature column active, which reads a block of rows ahead and runs the network on the whole block, and
/// the main cursor, with only the pass-through columns the consumer asked for active, which moves one row per
/// <c>MoveNext</c> and supplies those columns, <c>Position</c>, <c>Batch</c> and the row id. The added columns (Score,
/// Probability, PredictedLabel) are read from the block's buffers at the main cursor's offset in the block.</para>
/// <para><b>Why the two cursors see the same rows.</b> IDataView's contract (docs/code/IDataViewDesignPrinciples.md,
/// "Immutability and Repeatability", and IDataViewImplementation.md, "Repeatability", which names exactly this
/// look-ahead pattern) is that two cursors from the same view with the same arguments to GetRowCursor give the same
/// rows with the same values in the same order; the set of active columns does not change which rows a view serves.
/// That holds for unshuffled cursors (rand null) whatever <see cref="IDataView.CanShuffle"/> says; a shuffled cursor
/// is repeatable only with an identically seeded Random, which cannot be cloned from the consumer's, so every shuffled
/// request (GetRowCursor or GetRowCursorSet with rand != null) goes to the row-by-row scorer. So does a request for a
/// set of several cursors: the input splits its rows between them in an order that need not repeat, so no look-ahead
/// cursor can follow a part, and the consumer that asks for a set runs the parts on its own threads anyway. (A set of
/// one unshuffled cursor is one blocked cursor.) Single-row scoring (GetRowToRowMapper, PredictionEngine) never
/// reaches this view.
/// If the input nevertheless gives the look-ahead cursor fewer rows than the main cursor, the cursor throws rather
/// than return wrong scores.</para>
/// <para>Every cursor owns its buffers, so the view may be cursored from many threads at once. Everything that is not
/// a cursor (saving, ONNX/PFA export, re-applying, single-row mapping) is the row-by-row scorer's: see
/// BlockScoringDataView.Pipeline.cs.</para>
/// </remarks>
internal sealed partial class BlockScoringDataView : IDataView
{
    /// <summary>
    /// Rows scored per forward pass: a multiple of the 6-row tile, small enough that a block's inputs and one weight panel
    /// stay in a core's L2 cache and that the blocks of a cursor share the work evenly, large enough that per-block costs vanish.
    /// </summary>
    internal const int DefaultBlockRows = 144;

    private readonly IDataView _input;
    private readonly RowToRowScorerBase _fallback;

    /// <summary>Wraps a scored view.</summary>
    /// <param name="model">The model to score with.</param>
    /// <param name="plan">The checked column layout.</param>
    /// <param name="input">The data given to Transform.</param>
    /// <param name="fallback">ML.NET's row-by-row scored view of <paramref name="input"/> (schema and shuffled cursors).</param>
    /// <param name="blockRows">Rows per forward pass (≥ 1).</param>
    private BlockScoringDataView(BackpropModelParameters model, BlockScoringPlan plan, IDataView input, RowToRowScorerBase fallback, int blockRows)
    {
        Model = model;
        Plan = plan;
        _input = input;
        _fallback = fallback;
        BlockRows = blockRows;
    }

    /// <summary>The model that scores the rows.</summary>
    internal BackpropModelParameters Model { get; }

    /// <summary>The column layout.</summary>
    internal BlockScoringPlan Plan { get; }

    /// <summary>Rows scored per forward pass.</summary>
    internal int BlockRows { get; }

    /// <summary>The scorer's schema: the input columns, then the added columns, with the scorer's annotations.</summary>
    public DataViewSchema Schema => ((IDataView)_fallback).Schema;

    /// <summary>Shuffled cursors come from the row-by-row scorer, which can shuffle exactly when the input can.</summary>
    public bool CanShuffle => ((IDataView)_fallback).CanShuffle;

    /// <summary>
    /// Wraps <paramref name="scored"/> when the blocked path gives the same schema and bit-identical values; otherwise
    /// returns <paramref name="scored"/> itself.
    /// </summary>
    /// <param name="model">The model to score with.</param>
    /// <param name="featureColumnName">The feature column the scorer binds.</param>
    /// <param name="input">The data given to Transform.</param>
    /// <param name="scored">ML.NET's row-by-row scored view of <paramref name="input"/>.</param>
    /// <param name="blockRows">Rows per forward pass.</param>
    /// <returns>The blocked view, or <paramref name="scored"/>.</returns>
    public static IDataView WrapOrKeep(BackpropModelParameters model, string featureColumnName, IDataView input, IDataView scored,
        int blockRows = DefaultBlockRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        // Only ML.NET's own scorers on this very input: the view stands in for them in pipeline walks (the partial file).
        if (scored is not RowToRowScorerBase scorer || !ReferenceEquals(scorer.Source, input))
        {
            return scored;
        }

        BlockScoringPlan? plan = BlockScoringPlan.TryCreate(model, featureColumnName, input.Schema, scored.Schema);
        return plan is null ? scored : new BlockScoringDataView(model, plan, input, scorer, blockRows);
    }

    /// <summary>The input's row count, which scoring does not change.</summary>
    public long? GetRowCount() => _input.GetRowCount();

    /// <summary>A blocked cursor; a shuffled request goes to the row-by-row scorer (see the remarks on the class).</summary>
    /// <param name="columnsNeeded">Columns of <see cref="Schema"/> to make active.</param>
    /// <param name="rand">Random for shuffling, or null.</param>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        if (rand is not null)
        {
            return ((IDataView)_fallback).GetRowCursor(columnsNeeded, rand);
        }

        return new BlockScoringCursor(this, _input, Active(columnsNeeded));
    }

    /// <summary>
    /// One blocked cursor when one cursor is asked for without shuffling; otherwise the row-by-row scorer's cursor set
    /// (a consumer asking for several cursors drives its own threads over a split of the rows, and a split is not
    /// repeatable, so no look-ahead cursor could follow one).
    /// </summary>
    /// <param name="columnsNeeded">Columns of <see cref="Schema"/> to make active.</param>
    /// <param name="n">Cursors suggested (a view may return fewer).</param>
    /// <param name="rand">Random for shuffling, or null.</param>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        if (rand is not null || n > 1)
        {
            return ((IDataView)_fallback).GetRowCursorSet(columnsNeeded, n, rand);
        }

        return [GetRowCursor(columnsNeeded)];
    }

    /// <summary>The active flags, one per column of <see cref="Schema"/>.</summary>
    private bool[] Active(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        var active = new bool[Schema.Count];
        foreach (DataViewSchema.Column column in columnsNeeded)
        {
            if (column.Index < 0 || column.Index >= active.Length || Schema[column.Index].Name != column.Name)
            {
                throw new ArgumentOutOfRangeException(nameof(columnsNeeded), column.Name, "The column is not a column of this scored view's schema.");
            }

            active[column.Index] = true;
        }

        return active;
    }
}
