using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Persistence;

/// <summary>How the previous-version tests score the recorded rows and compare them, and the row and output types.</summary>
public sealed partial class PreviousVersionModelTests
{
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
    /// TestData/NAME.json: what the model is, the input rows, and per processor kind the outputs of the last code before
    /// the format version after the file's (Outputs: the library at 0415322 for the 0x00010001 and 0x00010002 files, at
    /// 8d70393 for the 0x00010003 files, at f48c313 for the 0x00010004 files), and for files 0415322 did not write, those
    /// of the library that wrote them (WriterOutputs). FeatureStandardization is recorded only since the 0x00010003 files,
    /// ValidationScores and Classes only since the 0x00010004 files (older formats have none of them).
    /// </summary>
    private sealed record Recording(
        string Model, string FormatVersion, string Description, string Task, string LabelKind, int InputSize, int[] HiddenLayerSizes,
        int OutputSize, string Activation, string Solver, bool StandardizeRegressionLabel, bool LabelScaling, int Epochs,
        RecordedRow[] Rows, Dictionary<string, RecordedOutput[]> Outputs, Dictionary<string, RecordedOutput[]>? WriterOutputs,
        bool FeatureStandardization = false, bool ValidationScores = false, string[]? Classes = null)
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
