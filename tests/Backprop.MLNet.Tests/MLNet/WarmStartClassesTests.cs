using Backprop.MLNet.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet.Tests.MLNet;

/// <summary>
/// A multiclass model keeps the classes its outputs mean (the label's key values), and a warm start refuses data whose key
/// values are other classes, or the same ones in another order (output i is trained on as key i), as scikit-learn refuses
/// <c>warm_start</c> with other classes; when either side has no classes to compare, it warns and goes on.
/// </summary>
public sealed class WarmStartClassesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bp-classes-").FullName;

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void TheModelKeepsTheLabelsKeyValuesAsText()
    {
        var ml = new MLContext(seed: 1);
        BackpropModelParameters model = Train(ml, Keyed(ml, ["a", "b", "c"]));

        Assert.NotNull(model.Classes);
        Assert.Equal("String", model.Classes.ItemType);
        Assert.Equal(["a", "b", "c"], model.Classes.Values);
    }

    [Fact]
    public void NumericKeyValuesAreKeptInAnInvariantForm()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 60).Select(i => new NumberRow { Features = [i % 3, (i * 7) % 5], Label = new[] { 0.5f, -2f, 1e-7f }[i % 3] }).ToArray();
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));

        ClassValues? classes = ClassValues.Of(data.Schema["Label"]);

        Assert.NotNull(classes);
        Assert.Equal("Single", classes.ItemType);
        Assert.Equal(["0.5", "-2", "1E-07"], classes.Values);
    }

    [Fact]
    public void OtherClassesAreRefusedNamingBothSetsTheColumnAndTheFix()
    {
        var ml = new MLContext(seed: 1);
        BackpropModelParameters model = Train(ml, Keyed(ml, ["a", "b", "c"]));

        var e = Assert.Throws<ArgumentException>(() => Trainer(ml).Fit(Keyed(ml, ["a", "b", "d"]), model));

        Assert.Equal("initialModel", e.ParamName);
        Assert.Contains("The initial model does not fit this training", e.Message);
        Assert.Contains("['a', 'b', 'c'] (String)", e.Message);
        Assert.Contains("['a', 'b', 'd'] (String)", e.Message);
        Assert.Contains("label column 'Label'", e.Message);
        Assert.Contains("output 2 would mean 'c' to the model and 'd' here", e.Message);
        Assert.Contains("MapValueToKey(\"Label\")", e.Message);
        Assert.Contains("or train without the initial model", e.Message);
    }

    [Fact]
    public void TheSameClassesInAnotherOrderAreRefused()
    {
        var ml = new MLContext(seed: 1);
        BackpropModelParameters model = Train(ml, Keyed(ml, ["a", "b", "c"]));

        var e = Assert.Throws<ArgumentException>(() => Trainer(ml).Fit(Keyed(ml, ["c", "b", "a"]), model));

        Assert.Contains("the same classes in another order, ['c', 'b', 'a'] (String)", e.Message);
        Assert.Contains("output 0 would mean 'a' to the model and 'c' here", e.Message);
    }

    [Fact]
    public void KeyValuesOfAnotherTypeAreOtherClassesEvenWhenWrittenAlike()
    {
        var model = new ClassValues("Single", ["1", "2"]);
        var data = new ClassValues("String", ["1", "2"]);

        string what = ModelTrainer.ClassMismatch(model, data, "Label");

        Assert.False(model.SameAs(data));
        Assert.Contains("its outputs mean the classes ['1', '2'] (Single)", what);
        Assert.Contains("holds the classes ['1', '2'] (String)", what);
        Assert.Contains("the values are written alike but are Single in the model and String here", what);
    }

    [Fact]
    public void TheSameClassesWarmStartWithoutAWarning()
    {
        var ml = new MLContext(seed: 1);
        List<string> warnings = Warnings(ml);
        BackpropModelParameters model = Train(ml, Keyed(ml, ["a", "b", "c"]));

        BackpropModelParameters warm = Trainer(ml).Fit(Keyed(ml, ["a", "b", "c"], seed: 2), model).Model;

        Assert.Equal(6, warm.TrainingHistory.Count);
        Assert.Equal(["a", "b", "c"], warm.Classes!.Values);
        Assert.DoesNotContain(warnings, m => m.Contains("classes"));
    }

    [Fact]
    public void TheClassesAreSavedWithTheModelAndCheckedAfterLoading()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Keyed(ml, ["a", "b", "c"]);
        BackpropTransformer trained = Trainer(ml).Fit(data);
        string path = Path.Combine(_directory, "model.zip");
        ml.Model.Save(trained, data.Schema, path);

        var loaded = (BackpropTransformer)new MLContext().Model.Load(path, out _);

        Assert.Equal("String", loaded.Model.Classes!.ItemType);
        Assert.Equal(["a", "b", "c"], loaded.Model.Classes.Values);
        var e = Assert.Throws<ArgumentException>(() => Trainer(ml).Fit(Keyed(ml, ["a", "b", "d"]), loaded.Model));
        Assert.Contains("['a', 'b', 'd'] (String)", e.Message);
    }

    [Fact]
    public void AKeyLabelWithoutKeyValuesWarmStartsWithAWarning()
    {
        var ml = new MLContext(seed: 1);
        List<string> warnings = Warnings(ml);
        BackpropModelParameters model = Train(ml, Keyed(ml, ["a", "b", "c"]));
        // LoadFromEnumerable stores key i as i + 1: 0, 1, 2 become the keys 1, 2, 3 of a key type with no key values.
        var random = new Random(2);
        IDataView bare = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 60).Select(i => new KeyRow { Features = Point(i % 3, random), Label = (uint)(i % 3) }).ToArray());
        Assert.Null(ClassValues.Of(bare.Schema["Label"]));

        BackpropModelParameters warm = Trainer(ml).Fit(bare, model).Model;

        string warning = Assert.Single(warnings, m => m.Contains("cannot be checked"));
        Assert.Contains("the label column 'Label' is a key type without key values", warning);
        Assert.Contains("['a', 'b', 'c'] (String)", warning);
        Assert.Equal(["a", "b", "c"], warm.Classes!.Values); // the data has none: the model's are kept
    }

    [Fact]
    public void ALongListOfClassesIsShortenedInMessages()
    {
        var classes = new ClassValues("String", Enumerable.Range(0, 40).Select(i => i == 3 ? new string('x', 100) : $"class{i}").ToArray());

        string shown = classes.ToString();

        Assert.StartsWith("['class0', 'class1', 'class2', '" + new string('x', 32) + "…', 'class4',", shown);
        Assert.EndsWith("'class7', … (40 classes)] (String)", shown);
    }

    /// <summary>Boolean labels and regression keep no classes.</summary>
    [Fact]
    public void OtherTasksKeepNoClasses()
    {
        var ml = new MLContext(seed: 1);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [3], MaximumNumberOfEpochs = 2, Seed = 1 };

        Assert.Null(new BackpropTrainer(ml, options).Fit(MLData.Blobs(ml, 40, seed: 1)).Model.Classes);
        Assert.Null(new BackpropTrainer(ml, options).Fit(MLData.Wave(ml, 40, seed: 1)).Model.Classes);
    }

    /// <summary>Rows of <paramref name="classes"/> in turn (so MapValueToKey numbers them in this order), with MapValueToKey applied.</summary>
    internal static IDataView Keyed(MLContext ml, string[] classes, int seed = 1)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, 60).Select(i => new MLData.ClassRow
        {
            Features = Point("abcd".IndexOf(classes[i % classes.Length], StringComparison.Ordinal), random),
            Label = classes[i % classes.Length],
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    /// <summary>A point near the centre of cluster <paramref name="cluster"/> (the class's place in "abcd").</summary>
    private static float[] Point(int cluster, Random random) =>
        [(2 * MathF.Cos(1.5f * cluster)) + (0.3f * MLData.Gaussian(random)), (2 * MathF.Sin(1.5f * cluster)) + (0.3f * MLData.Gaussian(random))];

    private static BackpropTrainer Trainer(MLContext ml) => ml.MulticlassClassification.Trainers.Backprop(new BackpropTrainer.Options
    {
        HiddenLayerSizes = [4],
        MaximumNumberOfEpochs = 3,
        BatchSize = 16,
        LearningRate = 0.01,
        Seed = 3,
    });

    private static BackpropModelParameters Train(MLContext ml, IDataView data) => Trainer(ml).Fit(data).Model;

    private static List<string> Warnings(MLContext ml)
    {
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning)
            {
                lock (warnings)
                {
                    warnings.Add(e.Message);
                }
            }
        };
        return warnings;
    }

    private sealed class KeyRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        [KeyType(3)] public uint Label { get; set; }
    }

    private sealed class NumberRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }
}
