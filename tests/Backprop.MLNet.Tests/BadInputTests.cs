using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests;

/// <summary>Every kind of bad input gets an exception of a stated type whose message names the thing and the value.</summary>
public class BadInputTests
{
    private static readonly MLContext Ml = new(seed: 1);

    public static TheoryData<string, Action<BackpropTrainer.Options>, string> BadOptions => new()
    {
        { "LearningRate", o => o.LearningRate = 0, "0" },
        { "LearningRate", o => o.LearningRate = -0.5, "-0.5" },
        { "LearningRate", o => o.LearningRate = double.NaN, "NaN" },
        { "BatchSize", o => o.BatchSize = 0, "0" },
        { "BatchSize", o => o.BatchSize = -3, "-3" },
        { "HiddenLayerSizes", o => o.HiddenLayerSizes = [], "[]" },
        { "HiddenLayerSizes", o => o.HiddenLayerSizes = [10, 0], "[10, 0]" },
        { "HiddenLayerSizes", o => o.HiddenLayerSizes = [-4], "[-4]" },
        { "MaximumNumberOfEpochs", o => o.MaximumNumberOfEpochs = 0, "0" },
        { "MaximumNumberOfEpochs", o => o.MaximumNumberOfEpochs = -1, "-1" },
        { "ValidationFraction", o => o.ValidationFraction = 0, "0" },
        { "ValidationFraction", o => o.ValidationFraction = 1, "1" },
        { "ValidationFraction", o => o.ValidationFraction = 1.5, "1.5" },
        { "Momentum", o => o.Momentum = 1.1, "1.1" },
        { "Beta1", o => o.Beta1 = 1, "1" },
        { "Beta2", o => o.Beta2 = -0.1, "-0.1" },
        { "Epsilon", o => o.Epsilon = 0, "0" },
        { "L2Regularization", o => o.L2Regularization = -1, "-1" },
        { "Tolerance", o => o.Tolerance = -1e-3, "-0.001" },
        { "NumberOfEpochsWithoutImprovement", o => o.NumberOfEpochsWithoutImprovement = 0, "0" },
        { "NumberOfThreads", o => o.NumberOfThreads = 0, "0" },
        { "PowerT", o => o.PowerT = -1, "-1" },
        { "DropoutRate", o => o.DropoutRate = 1, "1" },
        { "DropoutRate", o => { o.DropoutRate = 0.2; o.Solver = Solver.Lbfgs; }, "0.2" },
        { "MaximumNumberOfLossEvaluations", o => o.MaximumNumberOfLossEvaluations = 0, "0" },
        { "Activation", o => o.Activation = (Activation)42, "42" },
        { "Task", o => o.Task = (BackpropTask)9, "9" },
        { "FeatureColumnName", o => o.FeatureColumnName = " ", "' '" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void InvalidOptionThrowsNamingOptionAndValue(string option, Action<BackpropTrainer.Options> spoil, string shown)
    {
        var options = new BackpropTrainer.Options();
        spoil(options);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new BackpropTrainer(Ml, options));
        Assert.Equal($"Options.{option}", e.ParamName);
        Assert.Contains($"option {option} ", e.Message);
        Assert.Contains($"received {shown}.", e.Message);

        // The catalog overloads check the same way (they set Task themselves).
        if (option != "Task")
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Ml.Regression.Trainers.Backprop(options));
        }
    }

    [Fact]
    public void ClassWeightsAreRefusedForRegressionAndMustFitTheClasses()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Ml.Regression.Trainers.Backprop(new BackpropTrainer.Options { ClassWeights = ClassWeights.Balanced }));
        Assert.Equal("Options.ClassWeights", e.ParamName);
        Assert.Contains("classification only", e.Message);

        var three = Ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { ClassWeights = ClassWeights.Of(1, 2, 3), MaximumNumberOfEpochs = 1 });
        var wrong = Assert.Throws<ArgumentOutOfRangeException>(() => three.Fit(MLData.Blobs(Ml, 10, 1)));
        Assert.Contains("one weight per class, 2 for this label", wrong.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassWeights.Of(1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassWeights.Of(0, 0));
    }

    [Fact]
    public void ExampleWeightColumnMustExistAndBeSingle()
    {
        IDataView data = MLData.Blobs(Ml, 10, 1);
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => new BackpropTrainer(Ml, new BackpropTrainer.Options { ExampleWeightColumnName = "W" }).Fit(data));
        Assert.Contains("ExampleWeight column 'W' was not found", missing.Message);
        var boolWeights = Assert.Throws<ArgumentOutOfRangeException>(() => new BackpropTrainer(Ml, new BackpropTrainer.Options { ExampleWeightColumnName = "Label" }).Fit(data));
        Assert.Contains("ExampleWeight column 'Label' is Boolean", boolWeights.Message);
    }

    [Fact]
    public void OptionsAreCopiedWhenTheTrainerIsCreated()
    {
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [4] };
        var trainer = new BackpropTrainer(Ml, options);
        options.HiddenLayerSizes[0] = 0;
        options.LearningRate = -1;
        Assert.Equal([4], trainer.TrainerOptions.HiddenLayerSizes);
        Assert.Equal(0.001, trainer.TrainerOptions.LearningRate);
    }

    private sealed class StringLabelRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    private sealed class IntFeatureRow
    {
        [VectorType(2)] public int[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private sealed class VarFeatureRow
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private sealed class ScalarFeatureRow
    {
        public float Features { get; set; }
        public float Label { get; set; }
    }

    [Fact]
    public void WrongLabelTypeForTheTaskNamesColumnTypeAndFix()
    {
        IDataView strings = Ml.Data.LoadFromEnumerable(new[] { new StringLabelRow { Features = [1, 2], Label = "a" } });
        var multi = Assert.Throws<ArgumentOutOfRangeException>(() => Ml.MulticlassClassification.Trainers.Backprop().Fit(strings));
        Assert.Contains("Label column 'Label' is String", multi.Message);
        Assert.Contains("MapValueToKey(\"Label\")", multi.Message);

        IDataView floats = MLData.Wave(Ml, 20, seed: 1);
        var binary = Assert.Throws<ArgumentOutOfRangeException>(() => Ml.BinaryClassification.Trainers.Backprop().Fit(floats));
        Assert.Contains("Label column 'Label' is Single", binary.Message);
        Assert.Contains("binary classification needs a Boolean label", binary.Message);

        IDataView bools = MLData.Blobs(Ml, 20, seed: 1);
        var regression = Assert.Throws<ArgumentOutOfRangeException>(() => Ml.Regression.Trainers.Backprop().Fit(bools));
        Assert.Contains("Label column 'Label' is Boolean", regression.Message);
        Assert.Contains("ConvertType(\"Label\", outputKind: DataKind.Single)", regression.Message);

        var auto = Assert.Throws<ArgumentOutOfRangeException>(() => new BackpropTrainer(Ml).Fit(strings));
        Assert.Contains("Label column 'Label' is String", auto.Message);
    }

    [Fact]
    public void MissingColumnsAreNamedWithTheColumnsPresent()
    {
        IDataView data = MLData.Blobs(Ml, 20, seed: 1);
        var label = Assert.Throws<ArgumentOutOfRangeException>(() => new BackpropTrainer(Ml, labelColumnName: "Target").Fit(data));
        Assert.Contains("Label column 'Target' was not found", label.Message);
        Assert.Contains("'Features', 'Label'", label.Message);

        var features = Assert.Throws<ArgumentOutOfRangeException>(() => new BackpropTrainer(Ml, featureColumnName: "Pixels").Fit(data));
        Assert.Contains("Feature column 'Pixels' was not found", features.Message);

        // Also inside a pipeline, where the estimator chain calls the trainer through IEstimator.
        var chain = Ml.Transforms.CopyColumns("Other", "Features").Append(new BackpropTrainer(Ml, labelColumnName: "Target"));
        Assert.Contains("Label column 'Target' was not found", Assert.Throws<ArgumentOutOfRangeException>(() => chain.Fit(data)).Message);
    }

    [Fact]
    public void FeatureColumnOfTheWrongShapeOrTypeIsRefused()
    {
        IDataView variable = Ml.Data.LoadFromEnumerable(new[] { new VarFeatureRow { Features = [1, 2], Label = true }, new VarFeatureRow { Features = [1], Label = false } });
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => new BackpropTrainer(Ml).Fit(variable));
        Assert.Contains("Feature column 'Features' is Vector<Single>", e1.Message); // variable-size vectors print without a size
        Assert.Contains("known-size vector of Single", e1.Message);

        IDataView ints = Ml.Data.LoadFromEnumerable(new[] { new IntFeatureRow { Features = [1, 2], Label = true } });
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => new BackpropTrainer(Ml).Fit(ints));
        Assert.Contains("Feature column 'Features' is Vector<Int32, 2>", e2.Message);
        Assert.Contains("ConvertType", e2.Message);

        IDataView scalar = Ml.Data.LoadFromEnumerable(new[] { new ScalarFeatureRow { Features = 1, Label = 2 } });
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => new BackpropTrainer(Ml).Fit(scalar));
        Assert.Contains("Feature column 'Features' is Single", e3.Message);
        Assert.Contains("Concatenate", e3.Message);
    }

    [Fact]
    public void EmptyDataThrowsSayingSo()
    {
        IDataView empty = Ml.Data.LoadFromEnumerable(Array.Empty<MLData.BinaryRow>());
        var e = Assert.Throws<InvalidOperationException>(() => new BackpropTrainer(Ml).Fit(empty));
        Assert.Contains("the training data has no rows", e.Message);
    }

    [Fact]
    public void RowsWithNaNFeaturesOrMissingLabelsAreSkippedAndCounted()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) { messages.Add(e.Message); } };
        var rows = Enumerable.Range(0, 60).Select(i => new MLData.RegressionRow
        {
            Features = [i % 7 == 0 ? float.NaN : i / 60f, i % 11 == 0 ? float.PositiveInfinity : 1f],
            Label = i % 13 == 0 ? float.NaN : i / 60f,
        }).ToArray();
        int invalid = rows.Count(r => !float.IsFinite(r.Features[0]) || !float.IsFinite(r.Features[1]) || float.IsNaN(r.Label));
        var model = ml.Regression.Trainers.Backprop(hiddenLayerSizes: [3], maximumNumberOfEpochs: 3).Fit(ml.Data.LoadFromEnumerable(rows));

        Assert.Contains(messages, m => m.Contains($"skipped {invalid} of 60 training rows"));
        Assert.Equal(3, model.Model.TrainingHistory.Count);
        Assert.All(model.Model.GetWeights(0), w => Assert.True(float.IsFinite(w)));
    }

    private sealed class KeyRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        [KeyType(3)] public uint Label { get; set; }
    }

    [Fact]
    public void OneBasedKeysThroughLoadFromEnumerableAreReportedAsMissingWithTheReason()
    {
        // LoadFromEnumerable adds 1 to a key-typed uint field: storing 1..3 yields keys 2..4, and 4 (past the key count)
        // reads as missing. The trainer must not train silently on the wrong classes: it skips and says why.
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) { messages.Add(e.Message); } };
        var rows = Enumerable.Range(0, 30).Select(i => new KeyRow { Features = [i % 3, 1], Label = (uint)(i % 3) + 1 }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        Assert.Equal(0u, data.GetColumn<uint>("Label").Skip(2).First()); // the stored 3 became the missing key
        ml.MulticlassClassification.Trainers.Backprop(hiddenLayerSizes: [3], maximumNumberOfEpochs: 2).Fit(data);
        Assert.Contains(messages, m => m.Contains("skipped 10 of 30 training rows") && m.Contains("LoadFromEnumerable adds 1"));
    }

    [Fact]
    public void AllRowsInvalidThrowsWithTheCountAndTheFix()
    {
        var rows = Enumerable.Range(0, 5).Select(i => new MLData.RegressionRow { Features = [float.NaN, 1], Label = 1 });
        var e = Assert.Throws<InvalidOperationException>(() => Ml.Regression.Trainers.Backprop().Fit(Ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("all 5 training rows were skipped", e.Message);
        Assert.Contains("ReplaceMissingValues", e.Message);
    }

    [Fact]
    public void BinaryLabelWithOneClassOnlyIsRefused()
    {
        var rows = Enumerable.Range(0, 8).Select(i => new MLData.BinaryRow { Features = [i, 1], Label = true });
        var e = Assert.Throws<InvalidOperationException>(() => Ml.BinaryClassification.Trainers.Backprop().Fit(Ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("every one of the 8 training rows has the same label", e.Message);
    }

    [Fact]
    public void FeatureVectorOfADifferentSizeAtPredictionTimeIsASchemaError()
    {
        var model = Ml.BinaryClassification.Trainers.Backprop(hiddenLayerSizes: [3], maximumNumberOfEpochs: 2).Fit(MLData.Blobs(Ml, 20, seed: 1));
        var threeFeatures = Ml.Data.LoadFromEnumerable(new[] { new Wide { Features = [1, 2, 3], Label = true } });
        // ML.NET's scorer refuses it when binding, naming both sizes.
        var e = Assert.ThrowsAny<Exception>(() => model.Transform(threeFeatures));
        Assert.Contains("Vector<Single, 3>", e.Message);
        Assert.Contains("Vector<Single, 2>", e.Message);
    }

    private sealed class Wide
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    [Fact]
    public void NullArgumentsAreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => new BackpropTrainer(Ml, (BackpropTrainer.Options)null!));
        var trainer = new BackpropTrainer(Ml);
        Assert.Throws<ArgumentNullException>(() => trainer.Fit(null!));
        Assert.Throws<ArgumentNullException>(() => trainer.Fit(MLData.Blobs(Ml, 4, 1), (IDataView)null!));
        Assert.Throws<ArgumentNullException>(() => trainer.Fit(MLData.Blobs(Ml, 4, 1), (BackpropModelParameters)null!));
    }
}
