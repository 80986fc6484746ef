using System.Reflection;
using Backprop.MLNet.Engine.Parallel;
using Backprop.MLNet.MLNet.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Scoring;

/// <summary>
/// BackpropModelParameters.NumberOfThreads limits scoring: a row scored alone with a limit of 1 never offers work to the
/// worker pool, a Transform cursor with a limit of 1 queues no helper, the scores are bit-identical whatever the limit,
/// and the limit comes from the trainer, is not saved, and refuses values below 1.
/// </summary>
public sealed class ScoringThreadsTests
{
    /// <summary>300 dense inputs into 256 units: one row is work enough to be split (300 · 256 · 4 ≥ KernelRunner.MinimumParallelWork).</summary>
    private const int Inputs = 300;

    /// <summary>Rows enough for several blocks of 144.</summary>
    private const int Rows = 1000;

    private static readonly bool SeveralCores = Environment.ProcessorCount > 1;

    private sealed class WideRow
    {
        [VectorType(Inputs)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private sealed class BinaryOutput
    {
        public float Score { get; set; }
        public float Probability { get; set; }
    }

    [Fact]
    public void AFreshModelTakesTheTrainersLimitAndALoadedModelStartsWithNone()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MakeRows(200));
        Assert.Equal(1, Train(ml, data, threads: 1).Model.NumberOfThreads);
        Assert.Equal(3, Train(ml, data, threads: 3).Model.NumberOfThreads);
        BackpropTransformer model = Train(ml, data, threads: null);
        Assert.Null(model.Model.NumberOfThreads);

        // Not saved in the file: a model saved with a limit loads without one, for the deployment to decide.
        model.Model.NumberOfThreads = 1;
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = (BackpropTransformer)new MLContext().Model.Load(stream, out _);
        Assert.Null(loaded.Model.NumberOfThreads);
        Assert.Equal(Environment.ProcessorCount, loaded.Model.ScoringThreads);
        Assert.Equal(Scores(model, data), Scores(loaded, data));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    public void AValueBelowOneIsRefusedNamingTheSettingTheValueAndTheFix(int threads)
    {
        var ml = new MLContext(seed: 1);
        BackpropModelParameters model = Train(ml, ml.Data.LoadFromEnumerable(MakeRows(50)), threads: 2).Model;

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.NumberOfThreads = threads);

        Assert.Equal("NumberOfThreads", e.ParamName);
        Assert.Equal(threads, e.ActualValue);
        Assert.Contains("BackpropModelParameters.NumberOfThreads must be at least 1, or null for all cores", e.Message);
        Assert.Contains($"received {threads}", e.Message);
        Assert.Contains("Use 1", e.Message);
        Assert.Equal(2, model.NumberOfThreads); // unchanged
    }

    /// <summary>A limit above the cores is kept as given, and scoring uses the cores; null means all of them.</summary>
    [Fact]
    public void ScoringUsesTheLimitButNeverMoreThanTheCores()
    {
        var ml = new MLContext(seed: 1);
        BackpropModelParameters model = Train(ml, ml.Data.LoadFromEnumerable(MakeRows(50)), threads: 1).Model;
        Assert.Equal(1, model.ScoringThreads);
        model.NumberOfThreads = 64 + Environment.ProcessorCount;
        Assert.Equal(64 + Environment.ProcessorCount, model.NumberOfThreads);
        Assert.Equal(Environment.ProcessorCount, model.ScoringThreads);
        model.NumberOfThreads = null;
        Assert.Null(model.NumberOfThreads);
        Assert.Equal(Environment.ProcessorCount, model.ScoringThreads);
    }

    /// <summary>
    /// With a limit of 1 a PredictionEngine never offers a row to the worker pool (it counts the offers of this thread);
    /// with 2 every row of this width is split. The change applies to an engine already made, and the scores are the same.
    /// </summary>
    [Fact]
    public void WithOneThreadAPredictionNeverOffersWorkToThePool()
    {
        var ml = new MLContext(seed: 1);
        WideRow[] rows = MakeRows(Rows);
        BackpropTransformer model = Train(ml, ml.Data.LoadFromEnumerable(rows), threads: 1);
        using PredictionEngine<WideRow, BinaryOutput> engine = ml.Model.CreatePredictionEngine<WideRow, BinaryOutput>(model);
        WideRow[] some = rows[..20];

        long before = KernelRunner.ParallelDispatchesOnCurrentThread;
        float[] alone = some.Select(row => engine.Predict(row).Score).ToArray();
        Assert.Equal(before, KernelRunner.ParallelDispatchesOnCurrentThread);

        if (SeveralCores)
        {
            model.Model.NumberOfThreads = 2;
            float[] split = some.Select(row => engine.Predict(row).Score).ToArray();
            Assert.Equal(before + some.Length, KernelRunner.ParallelDispatchesOnCurrentThread);
            Assert.Equal(alone, split);
        }
    }

    /// <summary>
    /// A Transform cursor with a limit of 1 scores every block on the consumer's thread and queues no helper; with all
    /// cores it queues helpers (on a machine of several). The scores are bit-identical to each other and to PredictionEngine's.
    /// </summary>
    [Fact]
    public void WithOneThreadATransformCursorQueuesNoHelper()
    {
        var ml = new MLContext(seed: 1);
        WideRow[] rows = MakeRows(Rows);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        BackpropTransformer model = Train(ml, data, threads: 1);

        (float[] alone, BlockPipeline one) = ReadAll(model.Transform(data));
        Assert.Equal(0, one.MaximumHelpers);
        Assert.Equal(0, one.HelpersQueued);

        model.Model.NumberOfThreads = null;
        (float[] all, BlockPipeline many) = ReadAll(model.Transform(data));
        Assert.Equal(Environment.ProcessorCount - 1, many.MaximumHelpers);
        if (SeveralCores)
        {
            Assert.True(many.HelpersQueued >= 1, "no helper was queued with all cores");
        }

        Assert.Equal(alone, all);
        using PredictionEngine<WideRow, BinaryOutput> engine = ml.Model.CreatePredictionEngine<WideRow, BinaryOutput>(model);
        Assert.Equal(alone, rows.Select(row => engine.Predict(row).Score));
    }

    /// <summary>
    /// ML.NET 5.0.1's MLContext offers no thread or concurrency limit for the library to honour (the docs of
    /// BackpropModelParameters.NumberOfThreads say so). If a version adds one, this fails, and scoring should honour it.
    /// </summary>
    [Fact]
    public void MLContextHasNoThreadLimitToHonour()
    {
        string[] words = ["thread", "concurren", "parallel", "degree"];
        string[] found = typeof(MLContext).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.Name)
            .Where(name => words.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase)))
            .ToArray();
        Assert.Empty(found);
        Assert.DoesNotContain(typeof(MLContext).GetConstructors(), c => c.GetParameters().Length > 1);
    }

    /// <summary>Reads every row of a blocked cursor; returns the scores and the cursor's block pipeline.</summary>
    internal static (float[] Scores, BlockPipeline Pipeline) ReadAll(IDataView scored)
    {
        using DataViewRowCursor cursor = scored.GetRowCursor(scored.Schema);
        BlockPipeline pipeline = Assert.IsType<BlockScoringCursor>(cursor).Pipeline!;
        ValueGetter<float> getScore = cursor.GetGetter<float>(scored.Schema["Score"]);
        var scores = new List<float>();
        float score = 0;
        while (cursor.MoveNext())
        {
            getScore(ref score);
            scores.Add(score);
        }

        return (scores.ToArray(), pipeline);
    }

    private static float[] Scores(ITransformer model, IDataView data) =>
        model.Transform(data).GetColumn<float>("Score").ToArray();

    private static BackpropTransformer Train(MLContext ml, IDataView data, int? threads) =>
        ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [256],
            MaximumNumberOfEpochs = 2,
            NumberOfThreads = threads,
        }).Fit(data);

    private static WideRow[] MakeRows(int count)
    {
        var random = new Random(7);
        return Enumerable.Range(0, count).Select(i => new WideRow
        {
            Features = Enumerable.Range(0, Inputs).Select(_ => (float)MLData.Gaussian(random) + (i % 2)).ToArray(),
            Label = i % 2 == 1,
        }).ToArray();
    }
}
