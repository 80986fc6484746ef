using System.Collections.Concurrent;
using Backprop.MLNet.MLNet.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Scoring;

/// <summary>
/// BackpropTransformer.Transform scores in blocks through the batched network (BlockScoringDataView): the same schema,
/// annotations, pass-through columns, positions, row ids and bit-identical values as ML.NET's row-by-row scorer, for
/// every task, block boundary, column subset, concurrent cursors, and the fallbacks (shuffled cursors).
/// </summary>
public sealed partial class BlockScoringTests
{
    private const int Block = BlockScoringDataView.DefaultBlockRows;
    private static readonly ConcurrentDictionary<string, BackpropTransformer> Models = new();

    public static TheoryData<string> Tasks => new() { "binary", "multiclass", "regression", "two-targets", "multilabel" };

    public static TheoryData<string, int> TasksAndRows()
    {
        var data = new TheoryData<string, int>();
        foreach (string task in new[] { "binary", "multiclass", "regression", "two-targets", "multilabel" })
        {
            foreach (int rows in new[] { 0, 1, Block - 1, Block, Block + 1, 1000 })
            {
                data.Add(task, rows);
            }
        }

        return data;
    }

    /// <summary>A row to score: features (some NaN), and pass-through columns.</summary>
    private sealed class ScoreRow
    {
        public int Id { get; set; }
        [VectorType(2)] public float[] Features { get; set; } = [];
        public string Tag { get; set; } = "";
    }

    private sealed class TwoTargets
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        [VectorType(2)] public float[] Label { get; set; } = [];
    }

    private sealed class ThreeLabels
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        [VectorType(3)] public bool[] Label { get; set; } = [];
    }

    [Theory]
    [MemberData(nameof(TasksAndRows))]
    public void BlockedTransformIsBitIdenticalToRowByRow(string task, int rows)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model(task);
        IDataView data = ScoreData(ml, rows);
        IDataView blocked = model.Transform(data);
        Assert.IsType<BlockScoringDataView>(blocked);
        IDataView rowByRow = RowByRow(model, data);

        AssertSameSchema(rowByRow.Schema, blocked.Schema);
        Assert.Equal(rows, blocked.GetRowCount() ?? rows);
        List<string[]> expected = ReadAll(rowByRow, rowByRow.Schema), actual = ReadAll(blocked, blocked.Schema);
        Assert.Equal(rows, actual.Count);
        Assert.Equal(expected, actual);
        Assert.Equal(Enumerable.Range(0, rows), blocked.GetColumn<int>("Id")); // pass-through intact
    }

    [Theory]
    [InlineData("binary", Activation.Sigmoid)]
    [InlineData("binary", Activation.Tanh)]
    [InlineData("multiclass", Activation.Gelu)]
    [InlineData("regression", Activation.LeakyRelu)]
    [InlineData("regression", Activation.Identity)]
    public void EveryHiddenActivationIsBitIdentical(string task, Activation activation)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model(task, activation);
        IDataView data = ScoreData(ml, 2 * Block + 3);
        IDataView blocked = model.Transform(data), rowByRow = RowByRow(model, data);
        Assert.IsType<BlockScoringDataView>(blocked);
        Assert.Equal(ReadAll(rowByRow, rowByRow.Schema), ReadAll(blocked, blocked.Schema));
    }

    private sealed class WideRow
    {
        [VectorType(300)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Tanh)]
    public void WideNetworksAreBitIdentical(Activation activation)
    {
        // Wide layers take the register-blocked panel kernels' full tiles, which narrow test networks never fill.
        var ml = new MLContext(seed: 1);
        var random = new Random(6);
        WideRow[] rows = Enumerable.Range(0, 3 * Block + 11).Select(i => new WideRow
        {
            Features = Enumerable.Range(0, 300).Select(_ => i % 31 == 4 ? float.NaN : MLData.Gaussian(random)).ToArray(),
            Label = i % 3 == 0,
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        BackpropTransformer model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [256, 128],
            Activation = activation,
            MaximumNumberOfEpochs = 2,
        }).Fit(data);
        IDataView blocked = model.Transform(data), rowByRow = RowByRow(model, data);
        Assert.IsType<BlockScoringDataView>(blocked);
        Assert.Equal(ReadAll(rowByRow, rowByRow.Schema), ReadAll(blocked, blocked.Schema));
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void SubsetsOfActiveColumnsGiveTheSameValues(string task)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model(task);
        IDataView data = ScoreData(ml, 600);
        IDataView blocked = model.Transform(data), rowByRow = RowByRow(model, data);
        DataViewSchema schema = blocked.Schema;
        string[][] subsets = [[], ["Id"], ["Score"], ["Tag", "Score"], [schema[^1].Name], ["Features", schema[^1].Name, "Id"]];
        foreach (string[] names in subsets)
        {
            DataViewSchema.Column[] columns = names.Select(n => schema[n]).ToArray();
            using DataViewRowCursor cursor = blocked.GetRowCursor(columns);
            foreach (DataViewSchema.Column column in schema)
            {
                Assert.Equal(names.Contains(column.Name), cursor.IsColumnActive(column));
            }

            Assert.Equal(ReadAll(rowByRow, columns.Select(c => rowByRow.Schema[c.Index])), ReadAll(blocked, columns));
        }
    }

    [Fact]
    public async Task TwoCursorsOnDifferentThreadsAtOnceBothMatch()
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model("multiclass");
        IDataView data = ScoreData(ml, 2000);
        IDataView blocked = model.Transform(data);
        List<string[]> expected = ReadAll(RowByRow(model, data), RowByRow(model, data).Schema);
        using var barrier = new Barrier(2);
        Task<List<string[]>>[] readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            barrier.SignalAndWait();
            return ReadAll(blocked, blocked.Schema);
        })).ToArray();
        foreach (List<string[]> result in await Task.WhenAll(readers))
        {
            Assert.Equal(expected, result);
        }
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void ShuffledCursorsAndCursorSetsFallBackToTheRowByRowScorer(string task)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model(task);
        IDataView data = ml.Data.Cache(ScoreData(ml, 700)); // cached, so it can shuffle
        IDataView blocked = model.Transform(data);
        Assert.True(blocked.CanShuffle);
        Dictionary<string, string> expected = ReadAll(RowByRow(model, data), RowByRow(model, data).Schema).ToDictionary(r => r[1], r => string.Join("|", r.Skip(1)));

        using (DataViewRowCursor shuffled = blocked.GetRowCursor(blocked.Schema, new Random(5)))
        {
            Assert.IsNotType<BlockScoringCursor>(shuffled);
        }

        List<string[]> shuffledRows = ReadAll(blocked, blocked.Schema, new Random(5));
        Assert.NotEqual(expected.Keys, shuffledRows.Select(r => r[1])); // really shuffled
        Assert.Equal(expected.Count, shuffledRows.Count);
        Assert.All(shuffledRows, row => Assert.Equal(expected[row[1]], string.Join("|", row.Skip(1)))); // by row id

        DataViewRowCursor[] single = blocked.GetRowCursorSet(blocked.Schema, 1);
        Assert.IsType<BlockScoringCursor>(Assert.Single(single));
        single[0].Dispose();
        DataViewRowCursor[] set = blocked.GetRowCursorSet(blocked.Schema, 4); // several cursors: the scorer's split
        Assert.All(set, c => Assert.IsNotType<BlockScoringCursor>(c));
        Assert.Equal(expected.Count, set.Sum(c => { int n = 0; while (c.MoveNext()) { n++; } c.Dispose(); return n; }));
        DataViewRowCursor[] shuffledSet = blocked.GetRowCursorSet(blocked.Schema, 2, new Random(3));
        Assert.All(shuffledSet, c => Assert.IsNotType<BlockScoringCursor>(c));
        Array.ForEach(shuffledSet, c => c.Dispose());
    }

    [Fact]
    public void TransformerChainsCallTheBlockedTransform()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = MLData.Blobs(ml, 200, seed: 4);
        TransformerChain<BackpropTransformer> chain = ml.Transforms.NormalizeMeanVariance("Features")
            .Append(ml.BinaryClassification.Trainers.Backprop(hiddenLayerSizes: [9], maximumNumberOfEpochs: 5)).Fit(train);
        IDataView scored = chain.Transform(train);
        Assert.IsType<BlockScoringDataView>(scored);
        Assert.IsType<BlockScoringDataView>(((ITransformer)chain.LastTransformer).Transform(train));

        IDataView normalized = chain.Take(1).Single().Transform(train);
        IDataView expected = RowByRow(chain.LastTransformer, normalized);
        Assert.Equal(ReadAll(expected, expected.Schema), ReadAll(scored, scored.Schema));
        Assert.Equal(ml.BinaryClassification.Evaluate(expected).LogLoss, ml.BinaryClassification.Evaluate(scored).LogLoss);
    }

    [Fact]
    public void PositionBatchAndIdsAreTheInputCursors()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.Cache(ScoreData(ml, 700));
        IDataView blocked = Model("binary").Transform(data);
        using DataViewRowCursor outer = blocked.GetRowCursor([blocked.Schema["Score"]]), inner = data.GetRowCursor([]);
        ValueGetter<DataViewRowId> outerId = outer.GetIdGetter(), innerId = inner.GetIdGetter();
        DataViewRowId a = default, b = default;
        while (inner.MoveNext())
        {
            Assert.True(outer.MoveNext());
            outerId(ref a);
            innerId(ref b);
            Assert.Equal((inner.Position, inner.Batch, b), (outer.Position, outer.Batch, a));
        }

        Assert.False(outer.MoveNext());
    }

    [Fact]
    public void TheSwitchForcesTheRowByRowScorer()
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = new BackpropTrainer(ml, hiddenLayerSizes: [4]).Fit(MLData.Blobs(ml, 50, seed: 9));
        IDataView data = ScoreData(ml, 10);
        model.BlockScoring = false;
        Assert.IsNotType<BlockScoringDataView>(model.Transform(data));
        model.BlockScoring = true;
        Assert.IsType<BlockScoringDataView>(model.Transform(data));
    }

    [Fact]
    public void NaNFeaturesGiveWhatTheScorersGive()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ScoreData(ml, 40); // row 5 has a NaN feature
        (bool Label, float Score) binary = Model("binary").Transform(data).GetColumn<bool>("PredictedLabel")
            .Zip(Model("binary").Transform(data).GetColumn<float>("Score")).ElementAt(5);
        Assert.True(float.IsNaN(binary.Score));
        Assert.False(binary.Label);
        Assert.Equal(0u, Model("multiclass").Transform(data).GetColumn<uint>("PredictedLabel").ElementAt(5));
        Assert.True(float.IsNaN(Model("regression").Transform(data).GetColumn<float>("Score").ElementAt(5)));
        IDataView multilabel = Model("multilabel").Transform(data);
        Assert.All(multilabel.GetColumn<float[]>("Score").ElementAt(5), s => Assert.True(float.IsNaN(s)));
        Assert.Equal([false, false, false], multilabel.GetColumn<bool[]>("PredictedLabel").ElementAt(5));
    }

    [Fact]
    public void PredictedLabelRulesAreTheScorers()
    {
        Assert.Equal(2u, ScoreBlock.ArgMaxKey([1f, 3f, 3f, float.NaN])); // first of equal maxima
        Assert.Equal(3u, ScoreBlock.ArgMaxKey([float.NaN, 2f, 4f])); // NaN ignored
        Assert.Equal(1u, ScoreBlock.ArgMaxKey([float.NegativeInfinity, float.NegativeInfinity]));
        Assert.Equal(0u, ScoreBlock.ArgMaxKey([float.NaN, float.NaN])); // missing key
        Assert.False(ScoreBlock.PositiveLabel(float.NaN));
        Assert.False(ScoreBlock.PositiveLabel(0f));
        Assert.True(ScoreBlock.PositiveLabel(float.Epsilon));
        VBuffer<bool> labels = default;
        ScoreBlock.PositiveLabels([1f, -1f, 0f, float.NaN, float.Epsilon], ref labels);
        Assert.Equal([true, false, false, false, true], labels.DenseValues());
    }

    /// <summary>ML.NET's row-by-row scorer: the base class's non-virtual Transform.</summary>
    /// <summary>
    /// Tiny blocks make the pipeline wrap its ring hundreds of times with a helper scoring ahead: every value is still
    /// the row-by-row scorer's, whoever scored each block.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void ManySmallBlocksScoredAheadAreBitIdentical(int blockRows)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model("multiclass");
        IDataView data = ScoreData(ml, 1000);
        IDataView rowByRow = RowByRow(model, data);
        IDataView blocked = BlockScoringDataView.WrapOrKeep(model.Model, "Features", data, rowByRow, blockRows);
        Assert.IsType<BlockScoringDataView>(blocked);
        Assert.Equal(ReadAll(rowByRow, rowByRow.Schema), ReadAll(blocked, blocked.Schema));
    }

    /// <summary>
    /// Cursors abandoned after a few rows (while blocks are still being scored ahead) leave nothing behind: later cursors
    /// read every row correctly.
    /// </summary>
    [Fact]
    public void CursorsDisposedMidwayDoNotDisturbLaterCursors()
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model("binary");
        IDataView data = ScoreData(ml, 2000);
        IDataView blocked = model.Transform(data);
        DataViewSchema.Column score = blocked.Schema["Score"];
        for (int i = 0; i < 50; i++)
        {
            using DataViewRowCursor cursor = blocked.GetRowCursor([score]);
            for (int row = 0; row < 1 + (i * 7 % (Block * 2)) && cursor.MoveNext(); row++)
            {
            }
        }

        Assert.Equal(ReadAll(RowByRow(model, data), blocked.Schema), ReadAll(blocked, blocked.Schema));
    }

    /// <summary>An input whose second cursor sees fewer rows than its first breaks IDataView's contract: the cursor says so.</summary>
    [Fact]
    public void AnInputThatDoesNotRepeatIsReported()
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model("regression");
        var rows = new ShrinkingRows(rows: 2 * Block, lostOnSecondPass: Block + 10);
        IDataView blocked = model.Transform(ml.Data.LoadFromEnumerable(rows));
        var error = Assert.Throws<InvalidOperationException>(() => ReadAll(blocked, blocked.Schema));
        Assert.Contains("look-ahead cursor fewer rows than its main cursor", error.Message);
        Assert.Contains("mlContext.Data.Cache", error.Message);
    }

    /// <summary>An exception of the input while reading ahead reaches the consumer unchanged.</summary>
    [Fact]
    public void AnInputErrorWhileReadingAheadSurfacesUnchanged()
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model("binary");
        IDataView blocked = model.Transform(ml.Data.LoadFromEnumerable(new ThrowingRows(rows: 3 * Block, failAt: Block + 3)));
        var error = Assert.Throws<InvalidDataException>(() => ReadAll(blocked, [blocked.Schema["Score"]]));
        Assert.Equal("row " + (Block + 3) + " is unreadable", error.Message);
    }

    /// <summary>
    /// A model too large to pack scores with the training layout: still bit-identical between blocks and rows (one row
    /// alone and ML.NET's scorer), for every task, and within float rounding of the packed model's scores.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tasks))]
    public void AModelTooLargeToPackScoresWithTheTrainingLayout(string task)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer packed = Model(task), unpacked = Train(task);
        unpacked.Model.Predictor.UseTrainingLayout();
        Assert.Null(unpacked.Model.Predictor.Packed);
        Assert.NotNull(packed.Model.Predictor.Packed);
        IDataView data = ScoreData(ml, 500);
        IDataView blocked = unpacked.Transform(data);
        Assert.IsType<BlockScoringDataView>(blocked);
        Assert.Equal(ReadAll(RowByRow(unpacked, data), blocked.Schema), ReadAll(blocked, blocked.Schema));

        float[] a = Scores(packed.Transform(data)), b = Scores(unpacked.Transform(data));
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            if (float.IsNaN(a[i]))
            {
                Assert.True(float.IsNaN(b[i]), $"score {i}");
            }
            else
            {
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5 * Math.Max(1, Math.Abs(a[i])), $"score {i}: packed {a[i]}, training layout {b[i]}");
            }
        }
    }
}
