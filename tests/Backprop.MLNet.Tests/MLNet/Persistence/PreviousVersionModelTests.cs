using System.Text.Json;
using Backprop.MLNet.MLNet.Persistence;
using Microsoft.ML;

namespace Backprop.MLNet.Tests.MLNet.Persistence;

/// <summary>
/// Model files saved by previous versions of the library (TestData/, made as its README.md says) load and
/// predict bit-identically with the current code: every output that the last code before the next format version
/// (0415322 for the 0x00010001 and 0x00010002 files, 8d70393 for the 0x00010003 files, f48c313 for the 0x00010004 files)
/// produced on the recorded input rows, through <c>Transform</c> and through a <c>PredictionEngine</c>, is compared as a
/// 32-bit pattern.
/// The loaded network reports the recorded task, layers and activation, survives a save and load by the
/// current code unchanged, and warm-starts the current trainer.
/// </summary>
public sealed partial class PreviousVersionModelTests : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Every committed model file (TestData/NAME.zip with its recording TestData/NAME.json).</summary>
    private static readonly string[] ModelNames =
    [
        "binary-adam-v10002",
        "multiclass-sgd-v10002",
        "regression-lbfgs-v10002",
        "multioutput-regression-v10002",
        "gelu-two-hidden-v10002",
        "binary-tanh-v10001",
        "binary-standardized-v10003",
        "multiclass-text-key-v10003",
        "regression-standardized-v10003",
        "gelu-multiclass-v10004",
        "gelu-regression-v10004",
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("bp-oldmodels-").FullName;

    /// <summary>The names of <see cref="ModelNames"/> as theory data.</summary>
    public static TheoryData<string> Models => new(ModelNames);

    /// <summary>Where the test data is copied next to the test assembly.</summary>
    private static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "MLNet", "Persistence", "TestData");

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The folder holds exactly the listed model files, each with its recording, and every older version.</summary>
    [Fact]
    public void EveryCommittedModelFileIsTestedAndHasItsRecording()
    {
        string[] zips = Directory.GetFiles(DataDirectory, "*.zip").Select(file => Path.GetFileNameWithoutExtension(file)).Order().ToArray();
        string[] json = Directory.GetFiles(DataDirectory, "*.json").Select(file => Path.GetFileNameWithoutExtension(file)).Order().ToArray();

        Assert.Equal(ModelNames.Order(), zips);
        Assert.Equal(zips, json);
        Assert.Contains(zips, name => Recording.Read(name).FormatVersion == "0x00010001");
        Assert.Contains(zips, name => Recording.Read(name).FormatVersion == "0x00010002");
        Assert.Contains(zips, name => Recording.Read(name).FormatVersion == "0x00010003");
        Assert.Contains(zips, name => Recording.Read(name).FormatVersion == "0x00010004");
    }

    /// <summary>Score, Probability and PredictedLabel of every recorded row through Transform equal the recorded bits.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void OldFilePredictsBitIdenticallyThroughTransform(string name)
    {
        Recording recording = Recording.Read(name);
        var ml = new MLContext();
        ITransformer model = ml.Model.Load(recording.ModelPath, out _);

        AssertBitIdentical(recording, ScoreWithTransform(model, recording.Inputs(ml)), "Transform");
    }

    /// <summary>The same outputs row by row through a PredictionEngine equal the recorded bits.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void OldFilePredictsBitIdenticallyThroughAPredictionEngine(string name)
    {
        Recording recording = Recording.Read(name);
        var ml = new MLContext();
        ITransformer model = ml.Model.Load(recording.ModelPath, out _);

        AssertBitIdentical(recording, ScoreWithPredictionEngine(ml, model, recording), "PredictionEngine");
    }

    /// <summary>The file carries its format version, and the loaded network reports the recorded task, sizes, activation, label scaling, input standardisation, history, validation scores, classes and input schema.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void OldFileLoadsTheRecordedNetwork(string name)
    {
        Recording recording = Recording.Read(name);
        var ml = new MLContext();
        ITransformer model = ml.Model.Load(recording.ModelPath, out DataViewSchema inputSchema);

        Assert.Equal(recording.FormatVersion, $"0x{WrittenVersion(recording.ModelPath):x8}");
        BackpropModelParameters network = TrainerStage(model).Model;
        Assert.Equal(Enum.Parse<BackpropTask>(recording.Task), network.Task);
        Assert.Equal(recording.InputSize, network.InputSize);
        Assert.Equal(recording.HiddenLayerSizes, network.HiddenLayerSizes);
        Assert.Equal(recording.OutputSize, network.OutputSize);
        Assert.Equal(Enum.Parse<Activation>(recording.Activation), network.Activation);
        Assert.Equal(recording.HiddenLayerSizes.Length + 1, network.LayerCount);
        Assert.Equal(recording.LabelScaling, network.LabelMean is not null);
        Assert.Equal(recording.LabelScaling, network.LabelStandardDeviation is not null);
        Assert.Equal(recording.FeatureStandardization, network.FeatureMean is not null);
        Assert.Equal(recording.FeatureStandardization, network.FeatureStandardDeviation is not null);
        Assert.Equal(recording.Epochs, network.TrainingHistory.Count);
        Assert.Equal(Enumerable.Range(1, recording.Epochs), network.TrainingHistory.Select(report => report.Epoch));
        Assert.All(network.TrainingHistory, report => Assert.Equal(recording.ValidationScores, report.ValidationScore is not null)); // kept only since 0x00010004
        Assert.Equal(recording.Classes, network.Classes?.Values.ToArray()); // kept only since 0x00010004
        Assert.Equal(recording.Inputs(ml).Schema.Select(c => (c.Name, c.Type)), inputSchema.Select(c => (c.Name, c.Type)));
    }

    /// <summary>Saved again by the current code (in the current format) and loaded, the network keeps its weights and predicts the recorded bits.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void OldFileResavedByTheCurrentCodeStillPredictsBitIdentically(string name)
    {
        Recording recording = Recording.Read(name);
        var ml = new MLContext();
        ITransformer model = ml.Model.Load(recording.ModelPath, out DataViewSchema inputSchema);
        string path = Path.Combine(_directory, name + "-resaved.zip");
        ml.Model.Save(model, inputSchema, path);

        var fresh = new MLContext();
        ITransformer reloaded = fresh.Model.Load(path, out _);

        Assert.Equal(ModelFormat.CurrentVersion, WrittenVersion(path));

        BackpropModelParameters before = TrainerStage(model).Model, after = TrainerStage(reloaded).Model;
        for (int layer = 0; layer < before.LayerCount; layer++)
        {
            Assert.Equal(Bits(before.GetWeights(layer)), Bits(after.GetWeights(layer)));
            Assert.Equal(Bits(before.GetBiases(layer)), Bits(after.GetBiases(layer)));
        }

        AssertBitIdentical(recording, ScoreWithTransform(reloaded, recording.Inputs(fresh)), "Transform after re-saving");
        AssertBitIdentical(recording, ScoreWithPredictionEngine(fresh, reloaded, recording), "PredictionEngine after re-saving");
    }

    /// <summary>The current trainer with matching options warm-starts from the old network (Fit(data, initialModel)) on the recorded rows.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void OldFileWarmStartsTheCurrentTrainer(string name)
    {
        Recording recording = Recording.Read(name);
        var ml = new MLContext(seed: 3);

        (BackpropModelParameters old, BackpropTransformer warm, IDataView data) = WarmStart(ml, recording);

        Assert.Equal(old.Task, warm.Model.Task);
        Assert.Equal(old.HiddenLayerSizes, warm.Model.HiddenLayerSizes);
        Assert.Equal(old.Activation, warm.Model.Activation);
        Assert.True(warm.Model.TrainingHistory[^1].Epoch > recording.Epochs,
            $"the warm start's history should continue after epoch {recording.Epochs}, ends at {warm.Model.TrainingHistory[^1].Epoch}");
        Assert.All(ScoreWithTransform(warm, data), output => Assert.All(output.Score, score => Assert.True(float.IsFinite(score))));
    }

    /// <summary>
    /// A GELU model of a file before format 0x00010005 predicts by tanh, one value at a time (its recorded bits, above), and a
    /// warm start from it trains a model that predicts with GELU's training form, as every model trained now does.
    /// </summary>
    [Theory]
    [InlineData("gelu-two-hidden-v10002")]
    [InlineData("gelu-multiclass-v10004")]
    [InlineData("gelu-regression-v10004")]
    public void OldGeluFilePredictsByTanhAndAWarmStartWithTheTrainingForm(string name)
    {
        Recording recording = Recording.Read(name);
        var ml = new MLContext(seed: 3);

        (BackpropModelParameters old, BackpropTransformer warm, _) = WarmStart(ml, recording);

        Assert.True(old.Network.PredictsGeluByTanh);
        Assert.False(warm.Model.Network.PredictsGeluByTanh);
        Assert.False(warm.Model.TrainingNetwork.PredictsGeluByTanh);
    }

    /// <summary>
    /// A multiclass file saved before format 0x00010004 records no classes: a warm start from it is accepted as before, with
    /// a warning that its classes cannot be checked against the label's key values; the new model keeps the data's classes.
    /// </summary>
    [Theory]
    [InlineData("multiclass-text-key-v10003", "north,east,south,west")]
    [InlineData("multiclass-sgd-v10002", "circle,square,triangle")]
    public void OldMulticlassFileWarmStartsWithAWarningThatItsClassesCannotBeChecked(string name, string classes)
    {
        Recording recording = Recording.Read(name);
        var ml = new MLContext(seed: 3);
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
            {
                lock (warnings)
                {
                    warnings.Add(e.Message);
                }
            }
        };

        (BackpropModelParameters old, BackpropTransformer warm, _) = WarmStart(ml, recording);

        Assert.Null(old.Classes);
        string warning = Assert.Single(warnings, m => m.Contains("cannot be checked"));
        Assert.Contains("the initial model does not record the classes its outputs mean", warning);
        Assert.Contains("before model format 0x00010004", warning);
        string expected = string.Join(", ", classes.Split(',').Select(c => $"'{c}'"));
        Assert.Contains($"the label column 'Label' [{expected}] (String)", warning);
        Assert.Equal(classes.Split(','), warm.Model.Classes!.Values); // the key values of the file's own MapValueToKey
    }

    /// <summary>The 0x00010003 multiclass file was trained with early stopping: its history has validation losses, and loads without scores.</summary>
    [Fact]
    public void OldHistoryWithValidationLossesLoadsWithoutValidationScores()
    {
        Recording recording = Recording.Read("multiclass-text-key-v10003");
        BackpropModelParameters network = TrainerStage(new MLContext().Model.Load(recording.ModelPath, out _)).Model;

        Assert.All(network.TrainingHistory, report => Assert.NotNull(report.ValidationLoss));
        Assert.All(network.TrainingHistory, report => Assert.Null(report.ValidationScore));
    }

    /// <summary>
    /// The library at 7541489, which wrote the 0x00010001 file, scored it up to 4 units in the last place of Score
    /// (a relative 1e-6 of Probability) away from the library at 0415322: the kernels changed between the two, before
    /// this test existed, while the weights load unchanged. The current code matches 0415322 bit for bit (the tests
    /// above) and stays within 8 units in the last place of Score and a relative 1e-5 of Probability of the writer.
    /// </summary>
    [Theory]
    [InlineData("binary-tanh-v10001")]
    public void OldFileStaysWithinAFewUnitsInTheLastPlaceOfTheLibraryThatWroteIt(string name)
    {
        Recording recording = Recording.Read(name);
        var ml = new MLContext();
        ITransformer model = ml.Model.Load(recording.ModelPath, out _);
        Assert.NotNull(recording.WriterOutputs);
        RecordedOutput[] expected = ExpectedOn(recording, recording.WriterOutputs);

        Output[] actual = ScoreWithTransform(model, recording.Inputs(ml));

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float[] writer = ParseBits(expected[i].Score);
            Assert.Equal(writer.Length, actual[i].Score.Length);
            for (int j = 0; j < writer.Length; j++)
            {
                Assert.True(UnitsInTheLastPlace(writer[j], actual[i].Score[j]) <= 8, $"{name}, row {i}: Score {actual[i].Score[j]}, writer's {writer[j]}");
            }

            float probability = ParseBits(expected[i].Probability!)[0];
            Assert.True(Math.Abs(actual[i].Probability!.Value - probability) <= 1e-5f * probability,
                $"{name}, row {i}: Probability {actual[i].Probability}, writer's {probability}");
            Assert.Equal(expected[i].PredictedLabel, actual[i].PredictedLabel);
        }
    }

    /// <summary>
    /// Loads the recorded model and warm-starts the current trainer, with options matching it, from its network on the
    /// recorded rows prepared by the transforms before the trainer (e.g. MapValueToKey).
    /// </summary>
    private static (BackpropModelParameters Old, BackpropTransformer Warm, IDataView Data) WarmStart(MLContext ml, Recording recording)
    {
        ITransformer model = ml.Model.Load(recording.ModelPath, out _);
        BackpropModelParameters old = TrainerStage(model).Model;
        var trainer = new BackpropTrainer(ml, new BackpropTrainer.Options
        {
            Task = Enum.Parse<BackpropTask>(recording.Task),
            HiddenLayerSizes = recording.HiddenLayerSizes,
            Activation = Enum.Parse<Activation>(recording.Activation),
            Solver = Enum.Parse<Solver>(recording.Solver),
            StandardizeRegressionLabel = recording.StandardizeRegressionLabel,
            BatchSize = 8,
            MaximumNumberOfEpochs = 3,
            Seed = 5,
        });

        IDataView data = recording.Inputs(ml);
        foreach (ITransformer stage in Stages(model).TakeWhile(stage => stage is not BackpropTransformer))
        {
            data = stage.Transform(data);
        }

        return (old, trainer.Fit(data, old), data);
    }

    /// <summary>The Backprop stage of a loaded model: the transformer itself or the one in its chain.</summary>
    private static BackpropTransformer TrainerStage(ITransformer model) => Stages(model).OfType<BackpropTransformer>().Single();

    /// <summary>The transformers of a loaded model in order (one, when a single transformer was saved).</summary>
    private static IEnumerable<ITransformer> Stages(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain : [model];
}
