using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using Backprop.MLNet.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Persistence;

/// <summary>
/// Model files saved by previous versions of the library (TestData/, made as its README.md says) load and
/// predict bit-identically with the current code: every output the library at 0415322 (the last code before the
/// new format version) produced on the recorded input rows, through <c>Transform</c> and through a
/// <c>PredictionEngine</c>, is compared as a 32-bit pattern.
/// The loaded network reports the recorded task, layers and activation, survives a save and load by the
/// current code unchanged, and warm-starts the current trainer.
/// </summary>
public sealed class PreviousVersionModelTests : IDisposable
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
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("bp-oldmodels-").FullName;

    /// <summary>The names of <see cref="ModelNames"/> as theory data.</summary>
    public static TheoryData<string> Models => new(ModelNames);

    /// <summary>Where the test data is copied next to the test assembly.</summary>
    private static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "MLNet", "Persistence", "TestData");

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The folder holds exactly the listed model files, each with its recording, and both older versions.</summary>
    [Fact]
    public void EveryCommittedModelFileIsTestedAndHasItsRecording()
    {
        string[] zips = Directory.GetFiles(DataDirectory, "*.zip").Select(file => Path.GetFileNameWithoutExtension(file)).Order().ToArray();
        string[] json = Directory.GetFiles(DataDirectory, "*.json").Select(file => Path.GetFileNameWithoutExtension(file)).Order().ToArray();

        Assert.Equal(ModelNames.Order(), zips);
        Assert.Equal(zips, json);
        Assert.Contains(zips, name => Recording.Read(name).FormatVersion == "0x00010001");
        Assert.Contains(zips, name => Recording.Read(name).FormatVersion == "0x00010002");
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

    /// <summary>The file carries its format version, and the loaded network reports the recorded task, sizes, activation, label scaling, history and input schema.</summary>
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
        Assert.Equal(recording.Epochs, network.TrainingHistory.Count);
        Assert.Equal(Enumerable.Range(1, recording.Epochs), network.TrainingHistory.Select(report => report.Epoch));
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

        // The recorded rows (with their labels) prepared by the transforms before the trainer, e.g. MapValueToKey.
        IDataView data = recording.Inputs(ml);
        foreach (ITransformer stage in Stages(model).TakeWhile(stage => stage is not BackpropTransformer))
        {
            data = stage.Transform(data);
        }

        BackpropTransformer warm = trainer.Fit(data, old);

        Assert.Equal(old.Task, warm.Model.Task);
        Assert.Equal(old.HiddenLayerSizes, warm.Model.HiddenLayerSizes);
        Assert.Equal(old.Activation, warm.Model.Activation);
        Assert.True(warm.Model.TrainingHistory[^1].Epoch > recording.Epochs,
            $"the warm start's history should continue after epoch {recording.Epochs}, ends at {warm.Model.TrainingHistory[^1].Epoch}");
        Assert.All(ScoreWithTransform(warm, data), output => Assert.All(output.Score, score => Assert.True(float.IsFinite(score))));
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

    /// <summary>The Backprop stage of a loaded model: the transformer itself or the one in its chain.</summary>
    private static BackpropTransformer TrainerStage(ITransformer model) => Stages(model).OfType<BackpropTransformer>().Single();

    /// <summary>The transformers of a loaded model in order (one, when a single transformer was saved).</summary>
    private static IEnumerable<ITransformer> Stages(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain : [model];

    /// <summary>Score, Probability and PredictedLabel (where the model has them) of every row, through Transform.</summary>
    private static Output[] ScoreWithTransform(ITransformer model, IDataView data)
    {
        IDataView scored = model.Transform(data);
        float[][] scores = scored.Schema["Score"].Type is VectorDataViewType
            ? scored.GetColumn<float[]>("Score").ToArray()
            : scored.GetColumn<float>("Score").Select(score => new[] { score }).ToArray();
        float[]? probabilities = scored.Schema.GetColumnOrNull("Probability") is null ? null : scored.GetColumn<float>("Probability").ToArray();
        string[]? labels = scored.Schema.GetColumnOrNull("PredictedLabel") is not { } column
            ? null
            : column.Type switch
            {
                BooleanDataViewType => scored.GetColumn<bool>("PredictedLabel").Select(FormatBoolean).ToArray(),
                KeyDataViewType => scored.GetColumn<uint>("PredictedLabel").Select(key => key.ToString(CultureInfo.InvariantCulture)).ToArray(),
                _ => scored.GetColumn<string>("PredictedLabel").ToArray(),
            };
        return scores.Select((score, i) => new Output(score, probabilities?[i], labels?[i])).ToArray();
    }

    /// <summary>The same outputs row by row through one PredictionEngine.</summary>
    private static Output[] ScoreWithPredictionEngine(MLContext ml, ITransformer model, Recording recording)
    {
        int n = recording.InputSize;
        var rows = recording.Rows.Select(row => (Features: ParseBits(row.Features), row.Label)).ToArray();
        switch (recording.LabelKind)
        {
            case "Boolean":
                {
                    using var engine = ml.Model.CreatePredictionEngine<Row<bool>, BinaryOutput>(model, inputSchemaDefinition: Row<bool>.Schema(n));
                    return rows.Select(row => engine.Predict(new Row<bool> { Features = row.Features, Label = bool.Parse(row.Label) }))
                        .Select(o => new Output([o.Score], o.Probability, FormatBoolean(o.PredictedLabel))).ToArray();
                }

            case "Text":
                {
                    using var engine = ml.Model.CreatePredictionEngine<Row<string>, MulticlassOutput>(model, inputSchemaDefinition: Row<string>.Schema(n));
                    return rows.Select(row => engine.Predict(new Row<string> { Features = row.Features, Label = row.Label }))
                        .Select(o => new Output(o.Score, null, o.PredictedLabel)).ToArray();
                }

            case "Single":
                {
                    using var engine = ml.Model.CreatePredictionEngine<Row<float>, RegressionOutput>(model, inputSchemaDefinition: Row<float>.Schema(n));
                    return rows.Select(row => engine.Predict(new Row<float> { Features = row.Features, Label = ParseBits(row.Label)[0] }))
                        .Select(o => new Output([o.Score], null, null)).ToArray();
                }

            case "SingleVector":
                {
                    int targets = ParseBits(rows[0].Label).Length;
                    using var engine = ml.Model.CreatePredictionEngine<Row<float[]>, MultiOutputRegressionOutput>(model, inputSchemaDefinition: Row<float[]>.Schema(n, targets));
                    return rows.Select(row => engine.Predict(new Row<float[]> { Features = row.Features, Label = ParseBits(row.Label) }))
                        .Select(o => new Output(o.Score, null, null)).ToArray();
                }

            default:
                throw new InvalidOperationException($"{recording.Model}: unknown label kind {recording.LabelKind}");
        }
    }

    /// <summary>Every output equals the previous version's, bit for bit, on this processor kind.</summary>
    private static void AssertBitIdentical(Recording recording, Output[] actual, string path)
    {
        RecordedOutput[] expected = ExpectedOn(recording, recording.Outputs);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            string where = $"{recording.Model}, row {i}, {path} on {ProcessorKind()}";
            Assert.True(expected[i].Score == string.Join(' ', actual[i].Score.Select(FormatBits)),
                $"{where}: Score {string.Join(' ', actual[i].Score.Select(FormatBits))} ({string.Join(' ', actual[i].Score)}), recorded {expected[i].Score}");
            Assert.True(expected[i].Probability == (actual[i].Probability is float p ? FormatBits(p) : null),
                $"{where}: Probability {actual[i].Probability}, recorded {expected[i].Probability}");
            Assert.True(expected[i].PredictedLabel == actual[i].PredictedLabel,
                $"{where}: PredictedLabel {actual[i].PredictedLabel}, recorded {expected[i].PredictedLabel}");
        }
    }

    /// <summary>The outputs recorded for this process's processor kind.</summary>
    private static RecordedOutput[] ExpectedOn(Recording recording, Dictionary<string, RecordedOutput[]> outputs)
    {
        string kind = ProcessorKind();
        Assert.True(outputs.TryGetValue(kind, out RecordedOutput[]? expected),
            $"{recording.Model}: no outputs recorded for a {kind} process (recorded: {string.Join(", ", outputs.Keys)}); " +
            "the kernels round differently per instruction set: record this kind as TestData/README.md says.");
        return expected!;
    }

    /// <summary>
    /// The processor kind the outputs were recorded under: the instruction set the library's matrix kernels
    /// pick (the same rule as its KernelPath), which the runtime's DOTNET_EnableAVX512 / DOTNET_EnableAVX2
    /// settings narrow.
    /// </summary>
    private static string ProcessorKind()
    {
        string isa = Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? "Avx512"
            : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? "Avx2" : "Portable";
        return $"{RuntimeInformation.ProcessArchitecture}-{isa}";
    }

    /// <summary>The format version of a model file's BackpropModelParameters entry (ML.NET's model header: version written at 0x48).</summary>
    private static uint WrittenVersion(string path) => BitConverter.ToUInt32(ModelEntry.Read(path, out _), 0x48);

    /// <summary>How many representable floats apart two finite floats of the same sign are.</summary>
    private static int UnitsInTheLastPlace(float a, float b) =>
        Math.Sign(a) == Math.Sign(b) ? Math.Abs(BitConverter.SingleToInt32Bits(a) - BitConverter.SingleToInt32Bits(b)) : int.MaxValue;

    private static int[] Bits(IEnumerable<float> values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static string FormatBits(float value) => BitConverter.SingleToInt32Bits(value).ToString("x8", CultureInfo.InvariantCulture);

    private static string FormatBoolean(bool value) => value ? "true" : "false";

    /// <summary>Floats from their 32-bit patterns, hex, separated by spaces.</summary>
    private static float[] ParseBits(string hex) => hex.Split(' ')
        .Select(word => BitConverter.Int32BitsToSingle(int.Parse(word, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)))
        .ToArray();

    /// <summary>
    /// TestData/NAME.json: what the model is, the input rows, and per processor kind the outputs of the library at
    /// 0415322, the last code before the new format version (Outputs), and for files it did not write, those of
    /// the library that wrote them (WriterOutputs).
    /// </summary>
    private sealed record Recording(
        string Model, string FormatVersion, string Description, string Task, string LabelKind, int InputSize, int[] HiddenLayerSizes,
        int OutputSize, string Activation, string Solver, bool StandardizeRegressionLabel, bool LabelScaling, int Epochs,
        RecordedRow[] Rows, Dictionary<string, RecordedOutput[]> Outputs, Dictionary<string, RecordedOutput[]>? WriterOutputs)
    {
        /// <summary>The model file.</summary>
        public string ModelPath => Path.Combine(DataDirectory, Model);

        /// <summary>Reads TestData/<paramref name="name"/>.json.</summary>
        public static Recording Read(string name) =>
            JsonSerializer.Deserialize<Recording>(File.ReadAllText(Path.Combine(DataDirectory, name + ".json")), JsonOptions)
            ?? throw new InvalidDataException($"{name}.json is empty");

        /// <summary>The input rows, with the model's input schema (known-size Features, the label column).</summary>
        public IDataView Inputs(MLContext ml)
        {
            var rows = Rows.Select(row => (Features: ParseBits(row.Features), row.Label)).ToArray();
            return LabelKind switch
            {
                "Boolean" => ml.Data.LoadFromEnumerable(
                    rows.Select(r => new Row<bool> { Features = r.Features, Label = bool.Parse(r.Label) }).ToArray(), Row<bool>.Schema(InputSize)),
                "Text" => ml.Data.LoadFromEnumerable(
                    rows.Select(r => new Row<string> { Features = r.Features, Label = r.Label }).ToArray(), Row<string>.Schema(InputSize)),
                "Single" => ml.Data.LoadFromEnumerable(
                    rows.Select(r => new Row<float> { Features = r.Features, Label = ParseBits(r.Label)[0] }).ToArray(), Row<float>.Schema(InputSize)),
                "SingleVector" => ml.Data.LoadFromEnumerable(
                    rows.Select(r => new Row<float[]> { Features = r.Features, Label = ParseBits(r.Label) }).ToArray(),
                    Row<float[]>.Schema(InputSize, ParseBits(rows[0].Label).Length)),
                _ => throw new InvalidDataException($"{Model}: unknown label kind {LabelKind}"),
            };
        }
    }

    /// <summary>One input row: the features and the label, floats as hex bit patterns.</summary>
    private sealed record RecordedRow(string Features, string Label);

    /// <summary>The old library's outputs for one row: Score (hex, one per output), Probability and PredictedLabel where present.</summary>
    private sealed record RecordedOutput(string Score, string? Probability, string? PredictedLabel);

    /// <summary>The current code's outputs for one row.</summary>
    private sealed record Output(float[] Score, float? Probability, string? PredictedLabel);

    /// <summary>An input row for ML.NET.</summary>
    private sealed class Row<TLabel>
    {
        public float[] Features { get; set; } = [];

        public TLabel Label { get; set; } = default!;

        /// <summary>The schema with a known-size Features vector (and Label vector, when <paramref name="labels"/> &gt; 0).</summary>
        public static SchemaDefinition Schema(int features, int labels = 0)
        {
            SchemaDefinition schema = SchemaDefinition.Create(typeof(Row<TLabel>));
            schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
            if (labels > 0)
            {
                schema["Label"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, labels);
            }

            return schema;
        }
    }

    /// <summary>A binary classifier's outputs.</summary>
    private sealed class BinaryOutput
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }

    /// <summary>A multiclass classifier's outputs after MapKeyToValue.</summary>
    private sealed class MulticlassOutput
    {
        public float[] Score { get; set; } = [];

        public string PredictedLabel { get; set; } = "";
    }

    /// <summary>A regression model's output.</summary>
    private sealed class RegressionOutput
    {
        public float Score { get; set; }
    }

    /// <summary>A multi-output regression model's outputs.</summary>
    private sealed class MultiOutputRegressionOutput
    {
        public float[] Score { get; set; } = [];
    }
}
