using System.Diagnostics;
using System.Reflection;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Persistence;

/// <summary>
/// mlContext.Model.Save of whole pipelines, and mlContext.Model.Load both here and in a separate process
/// (tests/Backprop.MLNet.LoadCheck) whose code never names a Backprop.MLNet type and makes no registration call.
/// </summary>
public sealed class SaveLoadTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bp-saveload-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Tasks => new() { "binary", "multiclass", "regression", "multilabel" };

    [Theory]
    [MemberData(nameof(Tasks))]
    public void SeparateProcessLoadGivesBitIdenticalPredictions(string task)
    {
        var ml = new MLContext(seed: 7);
        (IDataView data, ITransformer model) = Train(ml, task);
        string modelPath = Path.Combine(_directory, "model.zip");
        string inputPath = Path.Combine(_directory, "input.bin");
        string expectedPath = Path.Combine(_directory, "expected.bin");
        ml.Model.Save(model, data.Schema, modelPath);
        using (var input = File.Create(inputPath))
        {
            ml.Data.SaveAsBinary(data, input);
        }

        using (var expected = File.Create(expectedPath))
        {
            ml.Data.SaveAsBinary(model.Transform(data), expected);
        }

        (int exitCode, string output) = RunLoadCheck(modelPath, inputPath, expectedPath);

        Assert.True(exitCode == 0, $"LoadCheck exit code {exitCode}: {output}");
        Assert.StartsWith("identical 120 rows", output);
        Assert.Contains(task switch
        {
            "binary" or "multilabel" => "[Score,Probability,PredictedLabel]",
            "multiclass" => "[Score,PredictedLabel]",
            _ => "[Score]",
        }, output);
        Assert.Contains("last=" + typeof(BackpropTransformer).FullName, output);
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void LoadedChainEndsInABackpropTransformerWithTheSameWeights(string task)
    {
        var ml = new MLContext(seed: 8);
        (IDataView data, ITransformer model) = Train(ml, task);
        string path = Path.Combine(_directory, "model.zip");
        ml.Model.Save(model, data.Schema, path);

        ITransformer loaded = new MLContext().Model.Load(path, out DataViewSchema inputSchema);

        Assert.Equal(data.Schema.Count, inputSchema.Count);
        BackpropTransformer original = TrainerStage(model);
        BackpropTransformer restored = TrainerStage(loaded);
        Assert.Equal(original.Model.Task, restored.Model.Task);
        Assert.Equal(original.Model.HiddenLayerSizes, restored.Model.HiddenLayerSizes);
        Assert.Equal(original.Model.Activation, restored.Model.Activation);
        for (int layer = 0; layer < original.Model.LayerCount; layer++)
        {
            Assert.Equal(original.Model.GetWeights(layer), restored.Model.GetWeights(layer));
            Assert.Equal(original.Model.GetBiases(layer), restored.Model.GetBiases(layer));
        }

        Assert.Equal(original.Model.TrainingHistory.Select(r => (r.Epoch, r.TrainingLoss, r.LearningRate, r.Elapsed)),
            restored.Model.TrainingHistory.Select(r => (r.Epoch, r.TrainingLoss, r.LearningRate, r.Elapsed)));
        Assert.Equal(original.FeatureColumnName, restored.FeatureColumnName);
        Assert.Equal(Scores(model.Transform(data), task), Scores(loaded.Transform(data), task));
    }

    /// <summary>
    /// A GELU model trained now predicts with GELU's training form (z·σ(2u) on vectors), writes hidden form 0 as the body's
    /// last field, and loads with that form and the same scores bit for bit.
    /// </summary>
    [Fact]
    public void ANewGeluModelPredictsWithItsTrainingFormAndSavesIt()
    {
        var ml = new MLContext(seed: 9);
        IDataView data = MLData.Blobs(ml, 120, seed: 1);
        BackpropTransformer model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [6, 4],
            Activation = Activation.Gelu,
            LearningRate = 0.01,
            MaximumNumberOfEpochs = 20,
        }).Fit(data);
        Assert.Same(GeluActivation.Instance, model.Model.Network.HiddenFunction);
        Assert.False(model.Model.Network.PredictsGeluByTanh);

        string path = Path.Combine(_directory, "gelu.zip");
        ml.Model.Save(model, data.Schema, path);
        byte[] entry = ModelEntry.Read(path, out _);
        int bodyEnd = ModelEntry.BodyOffset(entry) + (int)BitConverter.ToInt64(entry, 0x18);
        Assert.Equal(0, BitConverter.ToInt32(entry, bodyEnd - 4)); // the hidden form, the body's last field: training's form

        ITransformer loaded = new MLContext().Model.Load(path, out _);
        Assert.False(((BackpropTransformer)loaded).Model.Network.PredictsGeluByTanh);
        Assert.Equal(Scores(model.Transform(data), "binary"), Scores(loaded.Transform(data), "binary"));
    }

    /// <summary>
    /// Task code 4 (multilabel) exists from format 0x00010004 on: a multilabel entry whose header claims it was written as
    /// 0x00010003, when no such file could be, is refused naming the task code and the version; the same entry with its
    /// own version loads.
    /// </summary>
    [Fact]
    public void TheMultilabelTaskCodeIsRefusedInAFileOfAnOlderVersion()
    {
        byte[] entry = SaveAndReadEntry("multilabel", out string path, out string entryName);
        Assert.Equal(ModelFormat.CurrentVersion, BitConverter.ToUInt32(entry, 0x48)); // ModelVerWritten
        Assert.True(ModelFormat.CurrentVersion >= ModelFormat.MultilabelVersion);
        Assert.Equal(4, BitConverter.ToInt32(entry, ModelEntry.BodyOffset(entry) + 4)); // the task code, after sizeof(float)
        BitConverter.GetBytes(ModelFormat.StandardizationVersion).CopyTo(entry, 0x48); // written as 0x00010003
        BitConverter.GetBytes(ModelFormat.StandardizationVersion).CopyTo(entry, 0x4C); // and readable by it, as such files were
        string old = Path.Combine(_directory, "old.zip");
        ModelEntry.Write(path, old, entryName, entry);

        Exception root = Innermost(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(old, out _)));
        Assert.IsType<FormatException>(root);
        Assert.Contains("the task code is 4", root.Message);
        Assert.Contains("version 0x00010003", root.Message);
        Assert.NotNull(new MLContext().Model.Load(path, out _));
    }

    [Fact]
    public void TruncatedModelEntriesFailWithAClearException()
    {
        byte[] entry = SaveAndReadEntry("binary", out string path, out string entryName);

        // Cut the BackpropModelParameters entry at a spread of offsets (every offset is in the reliability issue's fuzz test).
        foreach (int length in new[] { 0, 3, 4, 10, 20, 40, entry.Length / 2, entry.Length - 1 })
        {
            string cut = Path.Combine(_directory, $"cut-{length}.zip");
            ModelEntry.Write(path, cut, entryName, entry.AsSpan(0, length).ToArray());
            Exception e = Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(cut, out _));
            Exception root = Innermost(e);
            Assert.True(root is FormatException or InvalidDataException or EndOfStreamException,
                $"length {length}: {e}");
            Assert.False(string.IsNullOrWhiteSpace(root.Message));
        }
    }

    [Fact]
    public void CorruptedFieldsAreNamedInTheException()
    {
        byte[] entry = SaveAndReadEntry("binary", out string path, out string entryName);
        int body = ModelEntry.BodyOffset(entry); // ML.NET's model header precedes the layout of ModelFormat

        (int Offset, byte[] Bytes, string Expected)[] cases =
        [
            (body + 4, BitConverter.GetBytes(7), "task code"),                // task
            (body + 8, BitConverter.GetBytes(99), "activation code"),         // activation
            (body + 12, BitConverter.GetBytes(int.MaxValue), "layer widths"), // number of widths
            (body + 16, BitConverter.GetBytes(int.MaxValue), "layer width 0"),
            (body + 16, BitConverter.GetBytes(-5), "layer width 0"),
        ];
        foreach (var (offset, bytes, expected) in cases)
        {
            byte[] changed = (byte[])entry.Clone();
            bytes.CopyTo(changed, offset);
            string bad = Path.Combine(_directory, "bad.zip");
            ModelEntry.Write(path, bad, entryName, changed);
            Exception root = Innermost(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(bad, out _)));
            Assert.IsType<FormatException>(root);
            Assert.Contains(expected, root.Message);
        }
    }

    /// <summary>A class value (format 0x00010004) whose length points past the end of the entry is refused before anything is allocated.</summary>
    [Fact]
    public void ClassValueLengthPastTheEndIsRejected()
    {
        byte[] entry = SaveAndReadEntry("multiclass", out string path, out string entryName);
        // The class values close the body: ..., int 3 (the count), then each value as (int length, UTF-8); the first is "red".
        byte[] firstValue = [.. BitConverter.GetBytes(3), .. BitConverter.GetBytes(3), .. "red"u8];
        int at = entry.AsSpan().IndexOf(firstValue);
        Assert.True(at > ModelEntry.BodyOffset(entry), "the class values were not found in the entry");
        BitConverter.GetBytes(int.MaxValue).CopyTo(entry, at + 4);
        string bad = Path.Combine(_directory, "bad-class.zip");
        ModelEntry.Write(path, bad, entryName, entry);
        Exception root = Innermost(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(bad, out _)));
        Assert.IsType<FormatException>(root);
        Assert.Contains("class value 0's bytes need 2147483647 bytes", root.Message);
    }

    [Fact]
    public void NonFiniteSavedWeightIsRejected()
    {
        byte[] entry = SaveAndReadEntry("regression", out string path, out string entryName);
        // body: sizeof(float), task, activation, L=3, widths[3], long P, then the first parameter.
        int firstParameter = ModelEntry.BodyOffset(entry) + 4 * 4 + 3 * 4 + 8;
        BitConverter.GetBytes(float.NaN).CopyTo(entry, firstParameter);
        string bad = Path.Combine(_directory, "nan.zip");
        ModelEntry.Write(path, bad, entryName, entry);
        Exception root = Innermost(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(bad, out _)));
        Assert.IsType<FormatException>(root);
        Assert.Contains("parameter 0", root.Message);
    }

    /// <summary>Trains and saves a small pipeline for <paramref name="task"/>; returns its BackpropModelParameters entry.</summary>
    private byte[] SaveAndReadEntry(string task, out string path, out string entryName)
    {
        var ml = new MLContext(seed: 9);
        (IDataView data, ITransformer model) = Train(ml, task);
        path = Path.Combine(_directory, "model.zip");
        ml.Model.Save(model, data.Schema, path);
        return ModelEntry.Read(path, out entryName);
    }

    internal static (IDataView Data, ITransformer Model) Train(MLContext ml, string task)
    {
        switch (task)
        {
            case "binary":
                {
                    IDataView data = MLData.Blobs(ml, 120, seed: 1);
                    var pipeline = ml.Transforms.NormalizeMeanVariance("Features")
                        .Append(ml.BinaryClassification.Trainers.Backprop(hiddenLayerSizes: [6, 4], learningRate: 0.01, maximumNumberOfEpochs: 30));
                    return (data, pipeline.Fit(data));
                }

            case "multiclass":
                {
                    IDataView data = MLData.ThreeClasses(ml, 120, seed: 2);
                    var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
                        .Append(ml.Transforms.NormalizeMinMax("Features"))
                        .Append(ml.MulticlassClassification.Trainers.Backprop(hiddenLayerSizes: [5], learningRate: 0.01, maximumNumberOfEpochs: 30))
                        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
                    return (data, pipeline.Fit(data));
                }

            case "multilabel":
                {
                    IDataView data = MLData.ThreeLabels(ml, 120, seed: 4);
                    var pipeline = ml.Transforms.NormalizeMeanVariance("Features")
                        .Append(new BackpropTrainer(ml, new BackpropTrainer.Options { HiddenLayerSizes = [6, 4], LearningRate = 0.01, MaximumNumberOfEpochs = 30 }));
                    return (data, pipeline.Fit(data));
                }

            default:
                {
                    IDataView data = MLData.Wave(ml, 120, seed: 3);
                    var pipeline = ml.Transforms.NormalizeMeanVariance("Features")
                        .Append(ml.Regression.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [7], Activation = Activation.Tanh, LearningRate = 0.01, MaximumNumberOfEpochs = 30 }));
                    return (data, pipeline.Fit(data));
                }
        }
    }

    private static float[] Scores(IDataView scored, string task) => task is "multiclass" or "multilabel"
        ? scored.GetColumn<float[]>("Score").SelectMany(s => s).ToArray()
        : scored.GetColumn<float>("Score").ToArray();

    internal static BackpropTransformer TrainerStage(ITransformer model) =>
        ((IEnumerable<ITransformer>)model).OfType<BackpropTransformer>().Single();

    /// <summary>The root cause: ML.NET wraps loader failures in "Error during class instantiation" layers.</summary>
    internal static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private static (int ExitCode, string Output) RunLoadCheck(params string[] arguments)
    {
        string program = typeof(SaveLoadTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "LoadCheckPath").Value!;
        Assert.True(File.Exists(program), $"LoadCheck program not built at {program}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(program);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "LoadCheck did not finish within 2 minutes");
        return (process.ExitCode, stdout.Trim() + stderr.Result);
    }
}
