using Backprop.MLNet.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Persistence;

/// <summary>
/// <see cref="BackpropTrainer.Options.KeepOptimizerState"/>: a model without its optimizer's state predicts the same bits,
/// saves exactly that state's bytes fewer, and a warm start from it restarts the optimizer and keeps everything else.
/// </summary>
public sealed class OptimizerStateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bp-optstate-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static float[] AllParameters(BackpropModelParameters model) =>
        Enumerable.Range(0, model.LayerCount).SelectMany(l => model.GetWeights(l).Concat(model.GetBiases(l))).ToArray();

    private static IDataView Data(MLContext ml)
    {
        IDataView data = MLData.ThreeClasses(ml, 90, seed: 4);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    private static BackpropTrainer Trainer(MLContext ml, Solver solver, int hidden, int epochs, bool keep) =>
        ml.MulticlassClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [hidden],
            Solver = solver,
            LearningRate = 0.01,
            BatchSize = 16,
            MaximumNumberOfEpochs = epochs,
            Tolerance = 0,
            Seed = 5,
            KeepOptimizerState = keep,
        });

    /// <summary>The bytes of the model's entry (uncompressed) and of the saved zip.</summary>
    private (int Entry, long File) Saved(MLContext ml, ITransformer model, DataViewSchema schema, string name)
    {
        string path = Path.Combine(_directory, name);
        ml.Model.Save(model, schema, path);
        return (ModelEntry.Read(path, out _).Length, new FileInfo(path).Length);
    }

    /// <summary>Adam keeps two buffers of the parameter count, SGD one, L-BFGS none; 64 hidden units train on the transposed first layer.</summary>
    [Theory]
    [InlineData(Solver.Adam, 6, 2)]
    [InlineData(Solver.Adam, 64, 2)]
    [InlineData(Solver.Sgd, 6, 1)]
    [InlineData(Solver.Lbfgs, 6, 0)]
    public void WithoutItTheModelPredictsTheSameBitsAndSavesThatStatesBytesFewer(Solver solver, int hidden, int buffers)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml);
        BackpropTransformer kept = Trainer(ml, solver, hidden, 8, keep: true).Fit(data);
        BackpropTransformer dropped = Trainer(ml, solver, hidden, 8, keep: false).Fit(data);

        Assert.Equal(AllParameters(kept.Model), AllParameters(dropped.Model));
        Assert.Equal(kept.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s),
            dropped.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s));
        Assert.Equal(buffers, kept.Model.Checkpoint!.Optimizer?.Buffers.Length ?? 0);
        Assert.Null(dropped.Model.Checkpoint!.Optimizer);

        (int keptEntry, long keptFile) = Saved(ml, kept, data.Schema, "kept.zip");
        (int droppedEntry, long droppedFile) = Saved(ml, dropped, data.Schema, "dropped.zip");
        int parameters = AllParameters(kept.Model).Length;
        // The state's floats, plus its optimizer kind's buffer count and step count (4 + 8 bytes) when there is one.
        Assert.Equal(buffers == 0 ? 0 : (buffers * parameters * sizeof(float)) + 12, keptEntry - droppedEntry);
        // (The zips themselves differ by a few bytes between two trainings: the history's times deflate differently.)
        Assert.True(buffers == 0 || droppedFile < keptFile - (buffers * parameters * 3), $"{droppedFile} vs {keptFile} bytes");

        var loaded = (BackpropTransformer)new MLContext(seed: 2).Model.Load(Path.Combine(_directory, "dropped.zip"), out _);
        Assert.Null(loaded.Model.Checkpoint?.Optimizer); // an L-BFGS model saves no checkpoint
        Assert.Equal(dropped.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s),
            loaded.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s));
    }

    /// <summary>
    /// A saved chain's model loses its optimizer state after the fact (<see cref="BackpropTransformer.WithoutOptimizerState"/>),
    /// as the README shows: the rebuilt chain scores the same bits, saves exactly the state's bytes fewer, and the original
    /// keeps its state; a model without any returns itself.
    /// </summary>
    [Fact]
    public void AnExistingModelLosesItsStateAfterTheFact()
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = MLData.ThreeClasses(ml, 90, seed: 4);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(Trainer(ml, Solver.Adam, 6, 5, keep: true));
        string path = Path.Combine(_directory, "chain.zip");
        ml.Model.Save(pipeline.Fit(raw), raw.Schema, path);
        var chain = (TransformerChain<ITransformer>)new MLContext(seed: 5).Model.Load(path, out _);
        var backprop = (BackpropTransformer)chain.LastTransformer;

        BackpropTransformer slim = backprop.WithoutOptimizerState();
        var slimChain = new TransformerChain<ITransformer>([.. chain.Take(chain.Count() - 1), slim]);

        Assert.NotNull(backprop.Model.Checkpoint!.Optimizer);
        Assert.Null(slim.Model.Checkpoint!.Optimizer);
        Assert.Equal(backprop.Model.Checkpoint.RandomState, slim.Model.Checkpoint.RandomState);
        Assert.Same(slim, slim.WithoutOptimizerState());
        Assert.Equal(chain.Transform(raw).GetColumn<float[]>("Score").SelectMany(v => v), slimChain.Transform(raw).GetColumn<float[]>("Score").SelectMany(v => v));
        Assert.Equal(chain.Transform(raw).GetColumn<uint>("PredictedLabel"), slimChain.Transform(raw).GetColumn<uint>("PredictedLabel"));
        (int fullEntry, _) = Saved(ml, chain, raw.Schema, "full.zip");
        (int slimEntry, _) = Saved(ml, slimChain, raw.Schema, "slim.zip");
        Assert.Equal((2 * AllParameters(backprop.Model).Length * sizeof(float)) + 12, fullEntry - slimEntry);
        var reloaded = (TransformerChain<ITransformer>)new MLContext(seed: 6).Model.Load(Path.Combine(_directory, "slim.zip"), out _);
        Assert.Null(((BackpropTransformer)reloaded.LastTransformer).Model.Checkpoint!.Optimizer);
        Assert.Equal(chain.Transform(raw).GetColumn<float[]>("Score").SelectMany(v => v), reloaded.Transform(raw).GetColumn<float[]>("Score").SelectMany(v => v));
    }

    /// <summary>
    /// Reading a model allocates its parameters and optimizer state once each: the network keeps the array the parameters
    /// were read into (a copy was a text model's 40 MB more, written for the first time, ~0.1 s of its load).
    /// </summary>
    [Fact]
    public void ReadingAModelAllocatesItsParametersAndStateOnce()
    {
        var ml = new MLContext(seed: 1);
        BackpropModelParameters m = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [1000, 500],
            MaximumNumberOfEpochs = 1,
            Seed = 3,
        }).Fit(MLData.Blobs(ml, 20, seed: 2)).Model;
        var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(sizeof(float)); // what ML.NET's ModelParametersBase writes before the body
            ModelFormat.Write(writer, new ModelFormat.Contents(m.Task, m.TrainingNetwork, m.Scaling, m.History, m.StopReason, m.Checkpoint,
                m.Standardization, m.Classes));
        }

        long parameterBytes = (long)m.TrainingNetwork.ParameterCount * sizeof(float);
        body.Position = 0;
        using var reader = new BinaryReader(body);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ModelFormat.Contents read = ModelFormat.Read(reader, ModelFormat.CurrentVersion);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(m.TrainingNetwork.Parameters, read.Network.Parameters);
        Assert.Equal(2, read.Checkpoint!.Optimizer!.Buffers.Length);
        // Three parameter-sized arrays (parameters, Adam's two moments) and small change; a copy would be a fourth.
        Assert.InRange(allocated, 3 * parameterBytes, (3 * parameterBytes) + (parameterBytes / 2));
    }

    /// <summary>
    /// Continuing a saved model without its state differs from one go (the optimizer restarts), continues the history, and
    /// equals continuing from the kept model with only its optimizer's state taken out: the shuffling generator and the
    /// schedule's counters are kept.
    /// </summary>
    [Theory]
    [InlineData(Solver.Adam)]
    [InlineData(Solver.Sgd)]
    public void AWarmStartFromItRestartsOnlyTheOptimizer(Solver solver)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml);
        BackpropTransformer oneGo = Trainer(ml, solver, 6, 20, keep: true).Fit(data);
        BackpropTransformer kept = Trainer(ml, solver, 6, 10, keep: true).Fit(data);
        BackpropTransformer dropped = Trainer(ml, solver, 6, 10, keep: false).Fit(data);
        string path = Path.Combine(_directory, "ten.zip");
        ml.Model.Save(dropped, data.Schema, path);
        var loaded = (BackpropTransformer)new MLContext(seed: 99).Model.Load(path, out _);

        BackpropTransformer continued = Trainer(ml, solver, 6, 10, keep: true).Fit(data, loaded.Model);
        BackpropModelParameters m = kept.Model;
        var stripped = new BackpropModelParameters(ml, new ModelFormat.Contents(
            m.Task, m.TrainingNetwork, m.Scaling, m.History, m.StopReason, m.Checkpoint!.WithoutOptimizer(), m.Standardization, m.Classes));
        BackpropTransformer reference = Trainer(ml, solver, 6, 10, keep: true).Fit(data, stripped);

        Assert.Equal(AllParameters(reference.Model), AllParameters(continued.Model));
        Assert.NotEqual(AllParameters(oneGo.Model), AllParameters(continued.Model));
        Assert.Equal(Enumerable.Range(1, 20), continued.Model.TrainingHistory.Select(r => r.Epoch));
        Assert.Equal(oneGo.Model.TrainingHistory.Take(10).Select(r => r.TrainingLoss), continued.Model.TrainingHistory.Take(10).Select(r => r.TrainingLoss));
        Assert.NotNull(continued.Model.Checkpoint!.Optimizer); // a model trained with the default keeps its state again
    }
}
