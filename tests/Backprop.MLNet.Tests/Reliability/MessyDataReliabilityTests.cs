using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.Reliability;

/// <summary>
/// Training and scoring on data as users have it: constant columns, duplicated rows, classes that never occur,
/// unscaled features, a label of another key type at prediction time. (Already covered elsewhere, not repeated:
/// a binary label with one class only, BadInputTests.BinaryLabelWithOneClassOnlyIsRefused; a feature vector of
/// another size at prediction time, BadInputTests.FeatureVectorOfADifferentSizeAtPredictionTimeIsASchemaError.)
/// </summary>
public sealed class MessyDataReliabilityTests
{
    private sealed class Row4
    {
        [VectorType(4)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    [Fact]
    public void ConstantFeaturesTrainAndAreIgnored()
    {
        // Two informative features between two constant ones; once raw, once through NormalizeMeanVariance (which
        // maps a constant column to 0 rather than dividing by a zero deviation).
        var ml = new MLContext(seed: 1);
        var random = new Random(2);
        Row4[] rows = Enumerable.Range(0, 200).Select(i =>
        {
            bool label = i % 2 == 0;
            return new Row4 { Features = [7f, (label ? 1f : -1f) + 0.3f * MLData.Gaussian(random), 0.3f * MLData.Gaussian(random), -3f], Label = label };
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [8], MaximumNumberOfEpochs = 100, LearningRate = 0.01, Seed = 1 };

        foreach (bool normalize in new[] { false, true })
        {
            IEstimator<ITransformer> pipeline = normalize
                ? ml.Transforms.NormalizeMeanVariance("Features").Append(ml.BinaryClassification.Trainers.Backprop(options))
                : ml.BinaryClassification.Trainers.Backprop(options);
            ITransformer model = pipeline.Fit(data);
            var metrics = ml.BinaryClassification.Evaluate(model.Transform(data));
            Assert.True(metrics.Accuracy > 0.95, $"normalize {normalize}: accuracy {metrics.Accuracy:F3}");
        }

        // Every feature constant: nothing to learn, but training still works and every row gets the same finite score.
        IDataView flat = ml.Data.LoadFromEnumerable(rows.Select(r => new Row4 { Features = [1, 2, 3, 4], Label = r.Label }));
        var flatModel = ml.BinaryClassification.Trainers.Backprop(options).Fit(flat);
        float[] scores = flatModel.Transform(flat).GetColumn<float>("Probability").ToArray();
        Assert.All(scores, s => Assert.Equal(scores[0], s));
        Assert.InRange(scores[0], 0.4f, 0.6f); // half the rows are positive
    }

    [Fact]
    public void DuplicatedRowsTrainLikeAnyOthers()
    {
        // Two distinct rows, each repeated 100 times.
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 200).Select(i => new MLData.BinaryRow { Features = i % 2 == 0 ? [1f, 0.5f] : [-1f, -0.5f], Label = i % 2 == 0 });
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [4], MaximumNumberOfEpochs = 20, Seed = 1, LearningRate = 0.01 }).Fit(data);
        bool[] predicted = model.Transform(data).GetColumn<bool>("PredictedLabel").ToArray();
        Assert.Equal(rows.Select(r => r.Label), predicted);
        Assert.All(Enumerable.Range(0, model.Model.LayerCount).SelectMany(model.Model.GetWeights), w => Assert.True(float.IsFinite(w)));
    }

    private sealed class Key
    {
        public string Label { get; set; } = "";
    }

    [Fact]
    public void ClassesThatNeverOccurKeepTheirPlaceInTheScore()
    {
        // The key type has five values; the training rows hold only three of them.
        var ml = new MLContext(seed: 1);
        IDataView keys = ml.Data.LoadFromEnumerable(new[] { "purple", "red", "green", "orange", "blue" }.Select(k => new Key { Label = k }));
        IDataView data = MLData.ThreeClasses(ml, 150, seed: 3);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyData: keys)
            .Append(ml.MulticlassClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [8], MaximumNumberOfEpochs = 60, LearningRate = 0.01, Seed = 1 }));

        var model = pipeline.Fit(data);
        IDataView scored = model.Transform(data);

        Assert.Equal(5, ((VectorDataViewType)scored.Schema["Score"].Type).Size);
        Assert.Equal(5UL, Assert.IsType<KeyDataViewType>(scored.Schema["PredictedLabel"].Type).Count);
        Assert.Equal(5, model.LastTransformer.Model.OutputSize);
        float[][] scores = scored.GetColumn<float[]>("Score").ToArray();
        // The unseen classes (keys 1 "purple" and 4 "orange") get little probability on average and are never predicted.
        Assert.All(scores, s => Assert.Equal(1.0, s.Sum(v => (double)v), 4));
        foreach (int unseen in new[] { 0, 3 })
        {
            Assert.True(scores.Average(s => s[unseen]) < 0.05, $"class {unseen + 1}, never in the data, has mean probability {scores.Average(s => s[unseen])}");
        }

        uint[] predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        Assert.DoesNotContain(1u, predicted);
        Assert.DoesNotContain(4u, predicted);
        Assert.True(ml.MulticlassClassification.Evaluate(scored).MicroAccuracy > 0.9);
    }

    [Fact]
    public void HugeUnscaledFeaturesReportDivergenceWithTheAdviceToNormalize()
    {
        // Features of magnitude 1e30, no normaliser, binary classification with plain SGD and a big step: the
        // first updates overflow float32 and the loss becomes NaN/∞. (Regression with the default label
        // standardisation is the case SklearnFeatureTests.DivergenceStopsWithTheEpochAndAdvice already covers.)
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 40).Select(i => new MLData.BinaryRow { Features = [(i % 2 == 0 ? 1 : -1) * (1 + i) * 1e30f, 1e30f], Label = i % 2 == 0 });
        var pipeline = ml.Transforms.CopyColumns("Raw", "Features") // an ML.NET pipeline, no normaliser
            .Append(ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
            {
                HiddenLayerSizes = [4],
                Solver = Solver.Sgd,
                LearningRate = 10,
                MaximumNumberOfEpochs = 50,
                Seed = 1,
            }));

        var e = Assert.Throws<InvalidOperationException>(() => pipeline.Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Matches("Training diverged in epoch [0-9]+", e.Message);
        Assert.Contains("Lower the LearningRate or normalize the features", e.Message);
    }

    private sealed class FiveKeyRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];

        [KeyType(5)] public uint Label { get; set; }
    }

    [Fact]
    public void LabelOfAnotherKeyTypeAtPredictionTimeIsIgnoredForScoring()
    {
        // Scoring needs only the features: data whose Label is a key of 5 values (the training label had 3, with
        // names) scores exactly as the training data does, and PredictedLabel keeps the TRAINING key type and names.
        var ml = new MLContext(seed: 1);
        IDataView raw = MLData.ThreeClasses(ml, 90, seed: 4);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
        IDataView train = toKey.Transform(raw);
        BackpropTransformer model = ml.MulticlassClassification.Trainers.Backprop(
            new BackpropTrainer.Options { HiddenLayerSizes = [6], MaximumNumberOfEpochs = 30, LearningRate = 0.01, Seed = 1 }).Fit(train);

        float[][] features = train.GetColumn<float[]>("Features").ToArray();
        IDataView other = ml.Data.LoadFromEnumerable(features.Select((f, i) => new FiveKeyRow { Features = f, Label = (uint)(i % 5) + 1 }));
        Assert.Equal(5UL, Assert.IsType<KeyDataViewType>(other.Schema["Label"].Type).Count);

        IDataView scoredOther = model.Transform(other);
        IDataView scoredTrain = model.Transform(train);

        DataViewSchema.Column predicted = scoredOther.Schema["PredictedLabel"];
        Assert.Equal(3UL, Assert.IsType<KeyDataViewType>(predicted.Type).Count);
        VBuffer<ReadOnlyMemory<char>> names = default;
        predicted.GetKeyValues(ref names);
        Assert.Equal(["red", "green", "blue"], names.DenseValues().Select(n => n.ToString()));
        Assert.Equal(scoredTrain.GetColumn<uint>("PredictedLabel"), scoredOther.GetColumn<uint>("PredictedLabel"));
        Assert.Equal(
            scoredTrain.GetColumn<float[]>("Score").SelectMany(s => s).Select(BitConverter.SingleToUInt32Bits),
            scoredOther.GetColumn<float[]>("Score").SelectMany(s => s).Select(BitConverter.SingleToUInt32Bits));
    }
}
