using Backprop.MLNet.MLNet.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Scoring;

/// <summary>
/// Transform's cursors score in blocks the model keeps from one cursor to the next (fresh buffers cost a page fault per
/// page): a cursor after another reuses its blocks and allocates far less than one block; two open cursors never share
/// a block; cursors disposed while helpers still score give their blocks back only when the helpers are done, so every
/// later cursor's scores stay right.
/// </summary>
public sealed class ScoreBlockPoolTests
{
    private const int Inputs = 784;

    private sealed class ImageRow
    {
        [VectorType(Inputs)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    [Fact]
    public void ACursorAfterAnotherScoresInItsBlocksAndAllocatesLessThanABlock()
    {
        (BackpropTransformer model, IDataView data, float[] expected) = Trained(rows: 1200);
        (float[] first, BlockPipeline one) = ScoringThreadsTests.ReadAll(model.Transform(data));
        ScoreBlock[] blocks = one.Blocks.ToArray();
        long blockBytes = blocks[0].BufferBytes;
        int created = model.Model.ScoreBlocks.Created;
        // A helper queued for the last block may start after the cursor is gone: the blocks come back when it exits.
        Assert.True(SpinWait.SpinUntil(() => model.Model.ScoreBlocks.Count == blocks.Length, TimeSpan.FromSeconds(30)), "the blocks did not come back");

        long before = GC.GetAllocatedBytesForCurrentThread();
        (float[] second, BlockPipeline two) = ScoringThreadsTests.ReadAll(model.Transform(data));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(expected, first);
        Assert.Equal(expected, second);
        Assert.Equal(created, model.Model.ScoreBlocks.Created);
        Assert.Equal(blocks.ToHashSet(), two.Blocks.ToHashSet());
        // A block holds 144 rows of 784 features and more (about 0.6 MB); the second pass allocates the cursors, the
        // pipeline and the scores list of this test, not the blocks.
        Assert.True(blockBytes > 400_000, $"a block holds {blockBytes} bytes");
        Assert.True(allocated < blockBytes / 2, $"the second pass allocated {allocated:N0} bytes; a block is {blockBytes:N0}");
    }

    [Fact]
    public void TwoOpenCursorsNeverShareABlock()
    {
        (BackpropTransformer model, IDataView data, float[] expected) = Trained(rows: 1200);
        ScoringThreadsTests.ReadAll(model.Transform(data)); // fills the pool
        IDataView scored = model.Transform(data);

        using DataViewRowCursor a = scored.GetRowCursor(scored.Schema), b = scored.GetRowCursor(scored.Schema);
        BlockPipeline pa = Assert.IsType<BlockScoringCursor>(a).Pipeline!, pb = Assert.IsType<BlockScoringCursor>(b).Pipeline!;

        Assert.Empty(pa.Blocks.Intersect(pb.Blocks));
        Assert.Equal(expected, Interleave(scored, a, b).A);
    }

    [Fact]
    public void CursorsLeftEarlyWhileHelpersScoreGiveBackTheirBlocksOnlyWhenDone()
    {
        (BackpropTransformer model, IDataView data, float[] expected) = Trained(rows: 3000);
        IDataView scored = model.Transform(data);
        int ring = 0;
        for (int round = 0; round < 40; round++)
        {
            // Read a few rows and leave: helpers may be scoring blocks ahead when the cursor is disposed.
            using (DataViewRowCursor early = scored.GetRowCursor(scored.Schema))
            {
                for (int i = 0; i < 1 + (round * 37 % 300) && early.MoveNext(); i++)
                {
                }
            }

            (float[] scores, BlockPipeline pipeline) = ScoringThreadsTests.ReadAll(scored);
            Assert.Equal(expected, scores);
            ring = pipeline.Blocks.Count();
        }

        Assert.True(SpinWait.SpinUntil(() => model.Model.ScoreBlocks.Count >= ring, TimeSpan.FromSeconds(30)), "the blocks did not come back");
        Assert.InRange(model.Model.ScoreBlocks.Count, ring, ScoreBlockPool.MaximumBlocks);
    }

    private static (float[] A, float[] B) Interleave(IDataView scored, DataViewRowCursor a, DataViewRowCursor b)
    {
        ValueGetter<float> ga = a.GetGetter<float>(scored.Schema["Score"]), gb = b.GetGetter<float>(scored.Schema["Score"]);
        var sa = new List<float>();
        var sb = new List<float>();
        float va = 0, vb = 0;
        while (a.MoveNext())
        {
            Assert.True(b.MoveNext());
            ga(ref va);
            gb(ref vb);
            sa.Add(va);
            sb.Add(vb);
        }

        Assert.Equal(sa, sb);
        return (sa.ToArray(), sb.ToArray());
    }

    /// <summary>A small model on wide rows, and its scores row by row (PredictionEngine: no blocks).</summary>
    private static (BackpropTransformer Model, IDataView Data, float[] Expected) Trained(int rows)
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        ImageRow[] all = Enumerable.Range(0, rows).Select(i => new ImageRow
        {
            Features = Enumerable.Range(0, Inputs).Select(_ => random.NextDouble() < 0.5 ? 0f : (float)random.NextDouble() + (i % 2 * 0.2f)).ToArray(),
            Label = i % 2 == 1,
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(all);
        BackpropTransformer model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [64],
            MaximumNumberOfEpochs = 1,
            Seed = 1,
        }).Fit(data);
        using PredictionEngine<ImageRow, ScoreOnly> engine = ml.Model.CreatePredictionEngine<ImageRow, ScoreOnly>(model);
        return (model, data, all.Select(row => engine.Predict(row).Score).ToArray());
    }

    private sealed class ScoreOnly
    {
        public float Score { get; set; }
    }
}
