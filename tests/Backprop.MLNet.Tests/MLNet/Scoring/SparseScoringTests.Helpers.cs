using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Scoring;

/// <summary>The data, models and readers the sparse-scoring tests share.</summary>
public sealed partial class SparseScoringTests
{
    /// <summary>Inputs of the test models.</summary>
    private const int Width = 40;

    private static readonly ConcurrentDictionary<string, BackpropTransformer> Models = new();

    /// <summary>Every task and hidden activation.</summary>
    public static TheoryData<string, Activation> TasksAndActivations()
    {
        var data = new TheoryData<string, Activation>();
        foreach (string task in new[] { "binary", "multiclass", "regression" })
        {
            foreach (Activation activation in Enum.GetValues<Activation>())
            {
                data.Add(task, activation);
            }
        }

        return data;
    }

    /// <summary>A row to score: an id and a feature vector (sparse or dense, as built).</summary>
    private sealed class FeatureRow
    {
        public int Id { get; set; }
        [VectorType(Width)] public VBuffer<float> Features { get; set; }
    }

    private sealed class BinaryTrainingRow
    {
        [VectorType(Width)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private sealed class ClassTrainingRow
    {
        [VectorType(Width)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    private sealed class RegressionTrainingRow
    {
        [VectorType(Width)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    private sealed class BinaryOutput
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    private sealed class MulticlassOutput
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    private sealed class RegressionOutput
    {
        public float Score { get; set; }
    }

    /// <summary>A model per task and activation, trained once on sparse-looking rows (models are immutable).</summary>
    private static BackpropTransformer Model(string task, Activation activation = Activation.Relu) =>
        Models.GetOrAdd($"{task} {activation}", _ => Train(task, activation));

    /// <summary>Trains a new model (the same every time: fixed seeds) on 300 rows of ~6 non-zeros, no NaN.</summary>
    private static BackpropTransformer Train(string task, Activation activation = Activation.Relu)
    {
        var ml = new MLContext(seed: 5);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [16, 9], Activation = activation, MaximumNumberOfEpochs = 15, LearningRate = 0.01 };
        float[][] rows = Rows(300, seed: 6, awkward: false).Select(Dense).ToArray();
        float Signal(float[] x) => x[0] + x[1] - x[2] + (0.5f * x[3]) - x[5] + x[8] + x[13] - x[21];
        switch (task)
        {
            case "binary":
                return ml.BinaryClassification.Trainers.Backprop(options)
                    .Fit(ml.Data.LoadFromEnumerable(rows.Select(x => new BinaryTrainingRow { Features = x, Label = Signal(x) > 0 })));
            case "multiclass":
                IDataView raw = ml.Data.LoadFromEnumerable(rows.Select(x => new ClassTrainingRow { Features = x, Label = Signal(x) > 0.5f ? "up" : Signal(x) < -0.5f ? "down" : "flat" }));
                IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
                return ml.MulticlassClassification.Trainers.Backprop(options).Fit(keyed);
            default:
                return ml.Regression.Trainers.Backprop(options)
                    .Fit(ml.Data.LoadFromEnumerable(rows.Select(x => new RegressionTrainingRow { Features = x, Label = (3 * Signal(x)) + 10 })));
        }
    }

    /// <summary>
    /// <paramref name="count"/> sparse vectors of about 6 non-zeros among <see cref="Width"/>. With <paramref name="awkward"/>:
    /// a stored 0 or −0 now and then, a NaN in rows i % 17 == 5, nothing in rows i % 23 == 7, and 30 non-zeros in rows
    /// i % 29 == 3 (dense enough to turn a sparse block dense).
    /// </summary>
    private static VBuffer<float>[] Rows(int count, int seed, bool awkward)
    {
        var random = new Random(seed);
        var rows = new VBuffer<float>[count];
        for (int i = 0; i < count; i++)
        {
            int wanted = awkward && i % 23 == 7 ? 0 : awkward && i % 29 == 3 ? 30 : random.Next(3, 10);
            int[] indices = Enumerable.Range(0, Width).OrderBy(_ => random.Next()).Take(wanted).Order().ToArray();
            float[] values = indices.Select(_ => 2 * MLData.Gaussian(random)).ToArray();
            if (awkward && values.Length > 2)
            {
                values[i % values.Length] = i % 5 == 0 ? 0f : i % 5 == 1 ? -0f : values[i % values.Length];
                if (i % 17 == 5)
                {
                    values[^1] = float.NaN;
                }
            }

            rows[i] = new VBuffer<float>(Width, indices.Length, values, indices);
        }

        return rows;
    }

    /// <summary>The same vector dense, every value not stored written as 0.</summary>
    private static float[] Dense(VBuffer<float> sparse)
    {
        var dense = new float[sparse.Length];
        sparse.CopyTo(dense);
        return dense;
    }

    /// <summary>Rows with Id = index whose vectors are <paramref name="vectors"/>.</summary>
    private static IDataView View(MLContext ml, IEnumerable<VBuffer<float>> vectors) =>
        ml.Data.LoadFromEnumerable(vectors.Select((v, i) => new FeatureRow { Id = i, Features = v }).ToArray());

    /// <summary>The vectors dense (a dense VBuffer of the same values).</summary>
    private static VBuffer<float>[] Densified(VBuffer<float>[] rows) => rows.Select(v => new VBuffer<float>(Width, Dense(v))).ToArray();

    /// <summary>ML.NET's row-by-row scorer: the base class's non-virtual Transform.</summary>
    private static IDataView RowByRow(BackpropTransformer model, IDataView data) =>
        ((SingleFeaturePredictionTransformerBase<BackpropModelParameters>)model).Transform(data);

    /// <summary>Each row's scored columns (Score, Probability, PredictedLabel as the task has them), floats as their bits.</summary>
    private static List<string> Scored(IDataView scored, string task)
    {
        return task switch
        {
            "binary" => scored.GetColumn<float>("Score").Zip(scored.GetColumn<float>("Probability"), scored.GetColumn<bool>("PredictedLabel"))
                .Select(r => $"{Bits(r.First)} {Bits(r.Second)} {r.Third}").ToList(),
            "multiclass" => scored.GetColumn<VBuffer<float>>("Score").Zip(scored.GetColumn<uint>("PredictedLabel"))
                .Select(r => $"{string.Join(",", r.First.DenseValues().Select(Bits))} {r.Second}").ToList(),
            _ => scored.GetColumn<float>("Score").Select(Bits).ToList(),
        };
    }

    /// <summary>Each row's outputs through a PredictionEngine, rendered as <see cref="Scored"/> renders them.</summary>
    private static List<string> Predicted(MLContext ml, BackpropTransformer model, IEnumerable<VBuffer<float>> rows, string task)
    {
        FeatureRow[] inputs = rows.Select((v, i) => new FeatureRow { Id = i, Features = v }).ToArray();
        switch (task)
        {
            case "binary":
                using (var engine = ml.Model.CreatePredictionEngine<FeatureRow, BinaryOutput>(model))
                {
                    return inputs.Select(engine.Predict).Select(p => $"{Bits(p.Score)} {Bits(p.Probability)} {p.PredictedLabel}").ToList();
                }

            case "multiclass":
                using (var engine = ml.Model.CreatePredictionEngine<FeatureRow, MulticlassOutput>(model))
                {
                    return inputs.Select(engine.Predict).Select(p => $"{string.Join(",", p.Score.Select(Bits))} {p.PredictedLabel}").ToList();
                }

            default:
                using (var engine = ml.Model.CreatePredictionEngine<FeatureRow, RegressionOutput>(model))
                {
                    return inputs.Select(engine.Predict).Select(p => Bits(p.Score)).ToList();
                }
        }
    }

    private static string Bits(float value) => BitConverter.SingleToInt32Bits(value).ToString("X8");
}
