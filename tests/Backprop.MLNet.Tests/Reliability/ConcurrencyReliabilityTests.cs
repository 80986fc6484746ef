using Backprop.MLNet.Tests.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.Reliability;

/// <summary>
/// One fitted model used from many threads at once, and two trainings at once, give exactly the results of
/// doing the same work one thing at a time.
/// </summary>
public sealed class ConcurrencyReliabilityTests
{
    private const int Threads = 8;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Tasks => new() { "binary", "multiclass", "regression" };

    [Theory]
    [MemberData(nameof(Tasks))]
    public async Task EightPredictionEnginesAtOnceGiveTheSequentialScores(string task)
    {
        var ml = new MLContext(seed: 21);
        (IDataView data, ITransformer model) = SaveLoadTests.Train(ml, task);
        int rows = (int)data.GetRowCount()!.Value;

        // Sequential reference: one engine, every row in order.
        Func<int, uint[]> reference = Predictor(ml, model, data, task);
        uint[][] expected = Enumerable.Range(0, rows).Select(reference).ToArray();

        // Eight threads, each with its own engine, all released together, each going through the rows from a
        // different start three times.
        using var start = new Barrier(Threads);
        var mismatches = new int[Threads];
        Task[] workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            Func<int, uint[]> predict = Predictor(ml, model, data, task);
            start.SignalAndWait();
            for (int pass = 0; pass < 3; pass++)
            {
                for (int i = 0; i < rows; i++)
                {
                    int row = (i + t * 17) % rows;
                    if (!predict(row).AsSpan().SequenceEqual(expected[row]))
                    {
                        mismatches[t]++;
                    }
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(workers).WaitAsync(Limit); // a hang fails with a TimeoutException
        Assert.All(mismatches, m => Assert.Equal(0, m));
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public async Task ParallelCursorsOverOneTransformGiveTheSequentialScores(string task)
    {
        var ml = new MLContext(seed: 22);
        (IDataView data, ITransformer model) = SaveLoadTests.Train(ml, task);
        IDataView scored = model.Transform(ml.Data.Cache(data)); // a cached source can be split into a cursor set
        DataViewSchema.Column score = scored.Schema["Score"];
        Dictionary<ulong, uint[]> expected = ReadScores(scored.GetRowCursor([score]), score);

        // 1. A cursor set: the rows are split between cursors, each consumed on its own thread.
        DataViewRowCursor[] set = scored.GetRowCursorSet([score], 4);
        Assert.True(set.Length > 1, "ML.NET gave a single cursor: nothing runs in parallel");
        var parts = new Task<Dictionary<ulong, uint[]>>[set.Length];
        for (int i = 0; i < set.Length; i++)
        {
            DataViewRowCursor cursor = set[i];
            parts[i] = Task.Factory.StartNew(() => ReadScores(cursor, score), TaskCreationOptions.LongRunning);
        }

        Dictionary<ulong, uint[]>[] split = await Task.WhenAll(parts).WaitAsync(Limit);
        Dictionary<ulong, uint[]> union = split.SelectMany(p => p).ToDictionary(kv => kv.Key, kv => kv.Value);
        AssertSameScores(expected, union);

        // 2. Several whole cursors over the same transform, consumed at once on different threads.
        Task<Dictionary<ulong, uint[]>>[] whole = Enumerable.Range(0, Threads)
            .Select(_ => Task.Factory.StartNew(() => ReadScores(scored.GetRowCursor([score]), score), TaskCreationOptions.LongRunning)).ToArray();
        Assert.All(await Task.WhenAll(whole).WaitAsync(Limit), w => AssertSameScores(expected, w));
    }

    [Fact]
    public async Task TwoTrainingsAtOnceGiveTheModelsOfTrainingOneAfterTheOther()
    {
        // Different tasks and seeds, each with its own MLContext, as two users of one process would.
        Func<float[]> first = () => Weights(Fit(new MLContext(seed: 31), "binary"));
        Func<float[]> second = () => Weights(Fit(new MLContext(seed: 32), "regression"));
        float[] firstAlone = first(), secondAlone = second();

        using var start = new Barrier(2);
        Task<float[]> a = Task.Factory.StartNew(() => { start.SignalAndWait(); return first(); }, TaskCreationOptions.LongRunning);
        Task<float[]> b = Task.Factory.StartNew(() => { start.SignalAndWait(); return second(); }, TaskCreationOptions.LongRunning);
        float[][] together = await Task.WhenAll(a, b).WaitAsync(Limit);

        Assert.Equal(firstAlone.Select(BitConverter.SingleToUInt32Bits), together[0].Select(BitConverter.SingleToUInt32Bits));
        Assert.Equal(secondAlone.Select(BitConverter.SingleToUInt32Bits), together[1].Select(BitConverter.SingleToUInt32Bits));
    }

    private static BackpropModelParameters Fit(MLContext ml, string task)
    {
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [32, 16], MaximumNumberOfEpochs = 40, BatchSize = 16, Tolerance = 0 };
        return task == "binary"
            ? ml.BinaryClassification.Trainers.Backprop(options).Fit(MLData.Blobs(ml, 400, seed: 5)).Model
            : ml.Regression.Trainers.Backprop(options).Fit(MLData.Wave(ml, 400, seed: 6)).Model;
    }

    private static float[] Weights(BackpropModelParameters model) =>
        Enumerable.Range(0, model.LayerCount).SelectMany(l => model.GetWeights(l).Concat(model.GetBiases(l))).ToArray();

    /// <summary>Every score value of every row the cursor visits, by row id; disposes the cursor.</summary>
    private static Dictionary<ulong, uint[]> ReadScores(DataViewRowCursor cursor, DataViewSchema.Column score)
    {
        using (cursor)
        {
            var result = new Dictionary<ulong, uint[]>();
            ValueGetter<DataViewRowId> id = cursor.GetIdGetter();
            DataViewRowId rowId = default;
            if (score.Type is VectorDataViewType)
            {
                ValueGetter<VBuffer<float>> get = cursor.GetGetter<VBuffer<float>>(score);
                VBuffer<float> value = default;
                while (cursor.MoveNext())
                {
                    id(ref rowId);
                    get(ref value);
                    result.Add(rowId.Low, value.DenseValues().Select(BitConverter.SingleToUInt32Bits).ToArray());
                }
            }
            else
            {
                ValueGetter<float> get = cursor.GetGetter<float>(score);
                float value = 0;
                while (cursor.MoveNext())
                {
                    id(ref rowId);
                    get(ref value);
                    result.Add(rowId.Low, [BitConverter.SingleToUInt32Bits(value)]);
                }
            }

            return result;
        }
    }

    private static void AssertSameScores(Dictionary<ulong, uint[]> expected, Dictionary<ulong, uint[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach ((ulong row, uint[] bits) in expected)
        {
            Assert.True(bits.AsSpan().SequenceEqual(actual[row]), $"row {row} scored differently");
        }
    }

    private sealed class BinaryOut
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    private sealed class MulticlassOut
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    private sealed class RegressionOut
    {
        public float Score { get; set; }
    }

    /// <summary>A function that predicts row i of <paramref name="data"/> with a PredictionEngine of its own; the bits of every output.</summary>
    private static Func<int, uint[]> Predictor(MLContext ml, ITransformer model, IDataView data, string task)
    {
        switch (task)
        {
            case "binary":
                {
                    MLData.BinaryRow[] rows = ml.Data.CreateEnumerable<MLData.BinaryRow>(data, reuseRowObject: false).ToArray();
                    var engine = ml.Model.CreatePredictionEngine<MLData.BinaryRow, BinaryOut>(model);
                    return i =>
                    {
                        BinaryOut o = engine.Predict(rows[i]);
                        return [BitConverter.SingleToUInt32Bits(o.Score), BitConverter.SingleToUInt32Bits(o.Probability), o.PredictedLabel ? 1u : 0u];
                    };
                }

            case "multiclass":
                {
                    MLData.ClassRow[] rows = ml.Data.CreateEnumerable<MLData.ClassRow>(data, reuseRowObject: false).ToArray();
                    var engine = ml.Model.CreatePredictionEngine<MLData.ClassRow, MulticlassOut>(model);
                    return i =>
                    {
                        MulticlassOut o = engine.Predict(rows[i]);
                        return [.. o.Score.Select(BitConverter.SingleToUInt32Bits), (uint)o.PredictedLabel.GetHashCode(StringComparison.Ordinal)];
                    };
                }

            default:
                {
                    MLData.RegressionRow[] rows = ml.Data.CreateEnumerable<MLData.RegressionRow>(data, reuseRowObject: false).ToArray();
                    var engine = ml.Model.CreatePredictionEngine<MLData.RegressionRow, RegressionOut>(model);
                    return i => [BitConverter.SingleToUInt32Bits(engine.Predict(rows[i]).Score)];
                }
        }
    }
}
