using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Streaming;

/// <summary>
/// Streaming training reads the rows from the data view (or the temporary file of DataCaching.Disk) every epoch instead of
/// holding them. With shuffling off it
/// sees the same minibatches in the same order as training from memory, so it must give the same weights bit for bit,
/// whatever the solver, storage, weights, validation rows or task (multilabel included: its targets are read by the same
/// reader on both paths); with shuffling on, the same seed must give the same
/// weights every time and on any number of threads.
/// </summary>
public sealed class StreamingEquivalenceTests
{
    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    [InlineData("lbfgs")]
    [InlineData("example weights")]
    [InlineData("class weights")]
    [InlineData("validation rows")]
    [InlineData("sparse")]
    [InlineData("dense storage of sparse vectors")]
    [InlineData("regression")]
    [InlineData("multiclass")]
    [InlineData("multilabel")]
    [InlineData("multilabel with validation rows")]
    [InlineData("warm start")]
    public void WithoutShufflingStreamingGivesTheWeightsOfMemory(string variant)
    {
        Trained memory = Train(variant, DataCaching.Memory);
        Trained streamed = Train(variant, DataCaching.Streaming);
        Trained disk = Train(variant, DataCaching.Disk);

        Assert.Contains(memory.Log, m => m.Contains("in memory)", StringComparison.Ordinal));
        Assert.Contains(streamed.Log, m => m.Contains("streamed from the data view every epoch", StringComparison.Ordinal));
        Assert.Contains(disk.Log, m => m.Contains("streamed from a temporary file every epoch", StringComparison.Ordinal));
        Assert.Equal(Bits(memory.Model), Bits(streamed.Model));
        Assert.Equal(Bits(memory.Model), Bits(disk.Model));
        Assert.Equal(memory.Model.TrainingHistory.Select(r => (r.TrainingLoss, r.ValidationLoss)), streamed.Model.TrainingHistory.Select(r => (r.TrainingLoss, r.ValidationLoss)));
        Assert.Equal(memory.Model.TrainingHistory.Select(r => (r.TrainingLoss, r.ValidationLoss)), disk.Model.TrainingHistory.Select(r => (r.TrainingLoss, r.ValidationLoss)));
    }

    [Theory]
    [InlineData(DataCaching.Streaming)]
    [InlineData(DataCaching.Disk)]
    public void WithTheShuffleBufferTheSameSeedGivesTheSameWeightsOnAnyThreadCount(DataCaching caching)
    {
        var ml = new MLContext(seed: 1);
        var data = new GeneratedDataView(3000);
        BackpropModelParameters Fit(int threads, int? seed = 5) => ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [32, 16],
            MaximumNumberOfEpochs = 3,
            Seed = seed,
            NumberOfThreads = threads,
            Caching = caching,
            ShuffleBufferSize = 500,
        }).Fit(data).Model;

        uint[] first = Bits(Fit(1));
        Assert.Equal(first, Bits(Fit(1)));
        Assert.Equal(first, Bits(Fit(2)));
        Assert.NotEqual(first, Bits(Fit(1, seed: 6)));
    }

    [Fact]
    public void AShufflingSourceIsReadInItsOwnOrderRepeatably()
    {
        // ML.NET's binary files shuffle themselves: the same seed must still give the same weights, and shuffling must differ
        // from reading in the stored order (a pool of one row leaves all the shuffling to the file).
        var ml = new MLContext(seed: 1);
        string path = Path.Combine(Path.GetTempPath(), $"backprop-stream-{Guid.NewGuid():N}.idv");
        try
        {
            using (FileStream file = File.Create(path))
            {
                ml.Data.SaveAsBinary(new GeneratedDataView(3000), file);
            }

            IDataView data = ml.Data.LoadFromBinary(path);
            Assert.True(data.CanShuffle);
            BackpropModelParameters Fit(bool shuffle, int threads) => ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
            {
                HiddenLayerSizes = [16],
                MaximumNumberOfEpochs = 2,
                Seed = 5,
                NumberOfThreads = threads,
                Shuffle = shuffle,
                Caching = DataCaching.Streaming,
                ShuffleBufferSize = 1,
            }).Fit(data).Model;

            uint[] shuffled = Bits(Fit(true, 1));
            Assert.Equal(shuffled, Bits(Fit(true, 2)));
            Assert.NotEqual(Bits(Fit(false, 1)), shuffled);
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static uint[] Bits(BackpropModelParameters model) =>
        Enumerable.Range(0, model.LayerCount).SelectMany(l => model.GetWeights(l).Concat(model.GetBiases(l))).Select(BitConverter.SingleToUInt32Bits).ToArray();

    private sealed record Trained(BackpropModelParameters Model, List<string> Log);

    private static Trained Train(string variant, DataCaching caching)
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => log.Add(e.Message);
        var options = new BackpropTrainer.Options
        {
            HiddenLayerSizes = [16],
            MaximumNumberOfEpochs = 4,
            BatchSize = 64,
            LearningRate = 0.01,
            Seed = 3,
            NumberOfThreads = 1,
            Shuffle = false,
            Caching = caching,
            ExampleWeightColumnName = variant == "example weights" ? "Weight" : null,
            ClassWeights = variant == "class weights" ? ClassWeights.Balanced : null,
            Solver = variant switch { "sgd" => Solver.Sgd, "lbfgs" => Solver.Lbfgs, _ => Solver.Adam },
            FeatureStorage = variant switch { "sparse" => FeatureStorage.Sparse, "dense storage of sparse vectors" => FeatureStorage.Dense, _ => FeatureStorage.Auto },
        };

        switch (variant)
        {
            case "regression":
                return new(ml.Regression.Trainers.Backprop(options).Fit(MLData.Wave(ml, 700, seed: 2)).Model, log);
            case "multiclass":
                {
                    IDataView classes = MLData.ThreeClasses(ml, 700, seed: 2);
                    var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.Backprop(options));
                    var model = (BackpropTransformer)pipeline.Fit(classes).LastTransformer;
                    return new(model.Model, log);
                }

            case "multilabel":
                return new(new BackpropTrainer(ml, options).Fit(MLData.ThreeLabels(ml, 700, seed: 2)).Model, log);
            case "multilabel with validation rows":
                return new(new BackpropTrainer(ml, options).Fit(MLData.ThreeLabels(ml, 700, seed: 2), MLData.ThreeLabels(ml, 200, seed: 3)).Model, log);
            case "dense storage of sparse vectors":
                // Mostly-zero rows that ML.NET hands over as sparse vectors, held (and streamed) dense.
                return new(ml.BinaryClassification.Trainers.Backprop(options).Fit(SparseVectors(ml)).Model, log);
        }

        var data = new GeneratedDataView(1000);
        BackpropTrainer trainer = ml.BinaryClassification.Trainers.Backprop(options);
        if (variant == "validation rows")
        {
            return new(trainer.Fit(data, new GeneratedDataView(300, knowsRowCount: false)).Model, log);
        }

        if (variant == "warm start")
        {
            BackpropModelParameters first = trainer.Fit(new GeneratedDataView(400)).Model;
            return new(trainer.Fit(data, first).Model, log);
        }

        return new(trainer.Fit(data).Model, log);
    }

    private sealed class SparseRow
    {
        [VectorType(40)] public VBuffer<float> Features { get; set; }
        public bool Label { get; set; }
    }

    private static IDataView SparseVectors(MLContext ml)
    {
        var random = new Random(4);
        var rows = Enumerable.Range(0, 600).Select(i =>
        {
            int[] at = Enumerable.Range(0, 40).Where(_ => random.NextDouble() < 0.1).ToArray();
            float[] values = at.Select(_ => (float)random.NextDouble() * 3).ToArray();
            return new SparseRow { Features = new VBuffer<float>(40, at.Length, values, at), Label = at.Sum() % 2 == 0 };
        }).ToList();
        return ml.Data.LoadFromEnumerable(rows);
    }
}
