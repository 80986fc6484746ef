using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Scoring;

/// <summary>
/// A model of 100,000 inputs (the width FeaturizeText gives text) scored on rows of a few non-zeros: Transform allocates
/// nothing in proportion to the width (no dense block, no dense row), and PredictionEngine.Predict allocates nothing.
/// </summary>
public sealed class WideSparseScoringTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Inputs = 100_000;
    private const int Rows = (3 * 144) + 5;

    private static readonly Lazy<(BackpropTransformer Model, WideRow[] Rows)> Trained = new(Train);

    private sealed class WideRow
    {
        [VectorType(Inputs)] public VBuffer<float> Features { get; set; }
        public bool Label { get; set; }
    }

    private sealed class BinaryOutput
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    /// <summary>
    /// A whole Transform pass (cursor, look-ahead ring of blocks, 437 rows read) after warm-up allocates less than a fifth
    /// of one dense row of the input width (80 KB of 400 KB) per block of the cursor's ring (cores + 3 blocks: 400 KB in all
    /// on 2 cores). Before sparse blocks, each block of the ring held 144 dense rows (57.6 MB, 720 times the bound), so
    /// densifying a block, or even one row per block, breaks it. What a pass does allocate is per cursor and per block but
    /// not per input: each block's scratch (hidden and output layers of 144 rows) and smallest CSR buffers (about 20 KB
    /// here), and ML.NET's cursors. The scores are those of PredictionEngine, one row at a time.
    /// </summary>
    [Fact]
    public void TransformOfSparseRowsAllocatesNothingInProportionToTheWidth()
    {
        var ml = new MLContext(seed: 1);
        (BackpropTransformer model, WideRow[] rows) = Trained.Value;
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        float[] scores = ScoreAll(model, data);
        ScoreAll(model, data);

        long before = GC.GetAllocatedBytesForCurrentThread();
        ScoreAll(model, data);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"A Transform pass over {Rows} rows allocated {allocated:N0} bytes on the cursor's thread.");
        int ring = model.Model.ScoringThreads + 3;
        long bound = ring * (Inputs * sizeof(float) / 5);
        Assert.True(allocated < bound, $"A Transform pass allocated {allocated:N0} bytes; the bound for a ring of {ring} blocks is {bound:N0}");

        using PredictionEngine<WideRow, BinaryOutput> engine = ml.Model.CreatePredictionEngine<WideRow, BinaryOutput>(model);
        Assert.Equal(scores, rows.Select(row => engine.Predict(row).Score));
        Assert.All(scores, score => Assert.True(float.IsFinite(score)));
    }

    /// <summary>
    /// PredictionEngine.Predict on a sparse row of a 100,000-input model allocates nothing per call after warm-up: less than
    /// 1,000 bytes over 1,000 calls, where one object per call would be at least 24,000 (and a densified row 400 MB). The
    /// margin tolerates a one-off allocation by the runtime (it failed once in some 20 runs with an exact 0, never since).
    /// </summary>
    [Fact]
    public void PredictionEngineOnASparseRowAllocatesNothing()
    {
        var ml = new MLContext(seed: 1);
        (BackpropTransformer model, WideRow[] rows) = Trained.Value;
        using PredictionEngine<WideRow, BinaryOutput> engine = ml.Model.CreatePredictionEngine<WideRow, BinaryOutput>(model);
        var prediction = new BinaryOutput();
        for (int i = 0; i < 2 * rows.Length; i++)
        {
            engine.Predict(rows[i % rows.Length], ref prediction);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        float sum = 0;
        for (int i = 0; i < 1000; i++)
        {
            engine.Predict(rows[i % rows.Length], ref prediction);
            sum += prediction.Probability;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1000, $"1,000 predictions allocated {allocated:N0} bytes");
        Assert.True(float.IsFinite(sum));
    }

    /// <summary>Reads Score and PredictedLabel of every row through one cursor of the blocked Transform.</summary>
    private static float[] ScoreAll(BackpropTransformer model, IDataView data)
    {
        IDataView scored = model.Transform(data);
        DataViewSchema.Column score = scored.Schema["Score"], label = scored.Schema["PredictedLabel"];
        using DataViewRowCursor cursor = scored.GetRowCursor([score, label]);
        ValueGetter<float> getScore = cursor.GetGetter<float>(score);
        ValueGetter<bool> getLabel = cursor.GetGetter<bool>(label);
        var scores = new float[Rows];
        bool positive = false;
        int row = 0;
        while (cursor.MoveNext())
        {
            getScore(ref scores[row++]);
            getLabel(ref positive);
        }

        Assert.Equal(Rows, row);
        return scores;
    }

    /// <summary>A binary model of 100,000 inputs and 8 hidden units, one epoch on 64 rows; and 437 rows of 2 to 8 non-zeros to score.</summary>
    private static (BackpropTransformer, WideRow[]) Train()
    {
        var ml = new MLContext(seed: 2);
        var random = new Random(3);
        WideRow[] Make(int count) => Enumerable.Range(0, count).Select(i =>
        {
            int[] indices = Enumerable.Range(0, random.Next(2, 9)).Select(_ => random.Next(Inputs)).Distinct().Order().ToArray();
            float[] values = indices.Select(_ => (float)random.NextDouble()).ToArray();
            return new WideRow { Features = new VBuffer<float>(Inputs, indices.Length, values, indices), Label = indices[0] % 2 == 0 };
        }).ToArray();
        BackpropTransformer model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [8], MaximumNumberOfEpochs = 1 })
            .Fit(ml.Data.LoadFromEnumerable(Make(64)));
        return (model, Make(Rows));
    }
}
