using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Scoring;

/// <summary>The models, data and readers the block-scoring tests share.</summary>
public sealed partial class BlockScoringTests
{
    /// <summary>Every value of the Score column, flattened.</summary>
    private static float[] Scores(IDataView scored) => scored.Schema["Score"].Type is VectorDataViewType
        ? scored.GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray()
        : scored.GetColumn<float>("Score").ToArray();

    /// <summary>Rows that come back fewer on every enumeration after the first (the look-ahead cursor's).</summary>
    private sealed class ShrinkingRows(int rows, int lostOnSecondPass) : IEnumerable<ScoreRow>
    {
        private int _passes;

        public IEnumerator<ScoreRow> GetEnumerator()
        {
            int count = Interlocked.Increment(ref _passes) == 1 ? rows : rows - lostOnSecondPass;
            for (int i = 0; i < count; i++)
            {
                yield return new ScoreRow { Id = i, Features = [i % 3, 1], Tag = "" };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Rows whose enumeration throws at row <c>failAt</c>.</summary>
    private sealed class ThrowingRows(int rows, int failAt) : IEnumerable<ScoreRow>
    {
        public IEnumerator<ScoreRow> GetEnumerator()
        {
            for (int i = 0; i < rows; i++)
            {
                if (i == failAt)
                {
                    throw new InvalidDataException($"row {i} is unreadable");
                }

                yield return new ScoreRow { Id = i, Features = [i % 3, 1], Tag = "" };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static IDataView RowByRow(BackpropTransformer model, IDataView data) =>
        ((SingleFeaturePredictionTransformerBase<BackpropModelParameters>)model).Transform(data);

    /// <summary>A trained model per task, shared by the tests (models are immutable; the switch is never touched on them).</summary>
    private static BackpropTransformer Model(string task, Activation activation = Activation.Relu) =>
        Models.GetOrAdd($"{task} {activation}", _ => Train(task, activation));

    /// <summary>Trains a new model for <paramref name="task"/> (the same one every time: fixed seeds).</summary>
    private static BackpropTransformer Train(string task, Activation activation = Activation.Relu)
    {
        var ml = new MLContext(seed: 3);
        var options = new BackpropTrainer.Options
        {
            HiddenLayerSizes = [37, 16],
            Activation = activation,
            MaximumNumberOfEpochs = 20,
            LearningRate = 0.01,
        };
        switch (task)
        {
            case "binary":
                return ml.BinaryClassification.Trainers.Backprop(options).Fit(MLData.Blobs(ml, 200, seed: 1));
            case "multiclass":
                IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.ThreeClasses(ml, 200, seed: 2))
                    .Transform(MLData.ThreeClasses(ml, 200, seed: 2));
                return ml.MulticlassClassification.Trainers.Backprop(options).Fit(keyed);
            case "regression":
                return ml.Regression.Trainers.Backprop(options).Fit(MLData.Wave(ml, 200, seed: 3));
            case "multilabel":
                var labelRandom = new Random(5);
                ThreeLabels[] labelled = Enumerable.Range(0, 200).Select(_ =>
                {
                    float a = MLData.Gaussian(labelRandom), b = MLData.Gaussian(labelRandom);
                    return new ThreeLabels { Features = [a, b], Label = [a > 0, a * b > 0, (a * a) + (b * b) < 1] };
                }).ToArray();
                return new BackpropTrainer(ml, options).Fit(ml.Data.LoadFromEnumerable(labelled));
            default:
                var random = new Random(4);
                TwoTargets[] rows = Enumerable.Range(0, 200).Select(_ =>
                {
                    float a = (float)random.NextDouble() * 2 - 1, b = (float)random.NextDouble() * 2 - 1;
                    return new TwoTargets { Features = [a, b], Label = [a + b, 10 * a * b] };
                }).ToArray();
                return ml.Regression.Trainers.Backprop(options).Fit(ml.Data.LoadFromEnumerable(rows));
        }
    }

    /// <summary>Rows with Id = index, a Tag, and features from a seed; row i % 17 == 5 has a NaN feature, i % 23 == 7 is all zero.</summary>
    private static IDataView ScoreData(MLContext ml, int rows)
    {
        var random = new Random(rows + 1);
        ScoreRow[] list = Enumerable.Range(0, rows).Select(i => new ScoreRow
        {
            Id = i,
            Tag = $"row {i}",
            Features = i % 17 == 5 ? [float.NaN, 1f] : i % 23 == 7 ? [0f, 0f] : [3 * MLData.Gaussian(random), 3 * MLData.Gaussian(random)],
        }).ToArray();
        return ml.Data.LoadFromEnumerable(list);
    }

    /// <summary>
    /// Every row of a cursor over <paramref name="columns"/>: position, row id, then each value (floats as their bits).
    /// Not Batch: ML.NET's scorer answers a single-cursor request with a consolidated parallel cursor set, whose Batch
    /// numbers are its own; the blocked cursor reports its input cursor's Batch (see PositionBatchAndIdsAreTheInputCursors).
    /// </summary>
    private static List<string[]> ReadAll(IDataView view, IEnumerable<DataViewSchema.Column> columns, Random? rand = null)
    {
        DataViewSchema.Column[] active = columns.ToArray();
        using DataViewRowCursor cursor = view.GetRowCursor(active, rand);
        ValueGetter<DataViewRowId> getId = cursor.GetIdGetter();
        Func<string>[] readers = active.Select(c => Reader(cursor, c)).ToArray();
        var rows = new List<string[]>();
        DataViewRowId id = default;
        while (cursor.MoveNext())
        {
            getId(ref id);
            rows.Add([cursor.Position.ToString(), id.ToString(), .. readers.Select(r => r())]);
        }

        return rows;
    }

    private static void AssertSameSchema(DataViewSchema expected, DataViewSchema actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            DataViewSchema.Column e = expected[i], a = actual[i];
            Assert.Equal((e.Name, e.Index, e.IsHidden), (a.Name, a.Index, a.IsHidden));
            Assert.Equal(e.Type, a.Type);
            DataViewSchema.Annotations ea = e.Annotations, aa = a.Annotations;
            Assert.Equal(ea.Schema.Select(c => (c.Name, c.Type)), aa.Schema.Select(c => (c.Name, c.Type)));
            Assert.Equal(ea.Schema.Select(c => Reader(ea, c)()), aa.Schema.Select(c => Reader(aa, c)()));
        }
    }

    private static Func<string> Reader(object source, DataViewSchema.Column column) => (Func<string>)typeof(BlockScoringTests)
        .GetMethod(nameof(TypedReader), BindingFlags.NonPublic | BindingFlags.Static)!
        .MakeGenericMethod(column.Type.RawType).Invoke(null, [source, column])!;

    private static Func<string> TypedReader<T>(object source, DataViewSchema.Column column)
    {
        ValueGetter<T> getter = source is DataViewRow row ? row.GetGetter<T>(column) : ((DataViewSchema.Annotations)source).GetGetter<T>(column);
        T value = default!;
        return () =>
        {
            getter(ref value);
            return Render(value);
        };
    }

    private static string Render(object? value) => value switch
    {
        float f => BitConverter.SingleToInt32Bits(f).ToString("X8"),
        VBuffer<float> v => (v.IsDense ? "dense " : "sparse ") + string.Join(",", v.DenseValues().Select(f => Render(f))),
        VBuffer<bool> v => (v.IsDense ? "dense " : "sparse ") + string.Join(",", v.DenseValues()),
        VBuffer<ReadOnlyMemory<char>> v => string.Join(",", v.DenseValues().Select(m => m.ToString())),
        ReadOnlyMemory<char> m => m.ToString(),
        _ => value?.ToString() ?? "null",
    };
}
