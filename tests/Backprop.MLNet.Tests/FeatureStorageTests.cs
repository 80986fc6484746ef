using Backprop.MLNet.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests;

/// <summary>How the trainer holds its rows: sparse for sparse vectors, dense otherwise, the same model either way.</summary>
public class FeatureStorageTests
{
    /// <summary>Features per row of the sparse data sets.</summary>
    internal const int Width = 2_000;

    /// <summary>A row with a sparse feature vector (the type ML.NET's text and one-hot transforms produce).</summary>
    public sealed class SparseRow
    {
        [VectorType(Width)] public VBuffer<float> Features { get; set; }
        public bool Label { get; set; }
    }

    /// <summary>
    /// Rows with about 8 of <see cref="Width"/> features non-zero, as sparse VBuffers: one of 20 signal features (the label is
    /// whether it is one of the first 10) and noise features from the rest.
    /// </summary>
    private static IDataView SparseRows(MLContext ml, int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<SparseRow>();
        for (int r = 0; r < rows; r++)
        {
            int signal = random.Next(20);
            int[] indices = Enumerable.Range(0, 7).Select(_ => 20 + random.Next(Width - 20)).Append(signal).Distinct().Order().ToArray();
            float[] values = indices.Select(_ => (float)(0.5 + random.NextDouble())).ToArray();
            bool label = signal < 10;
            list.Add(new SparseRow { Features = new VBuffer<float>(Width, indices.Length, values, indices), Label = label });
        }

        return ml.Data.LoadFromEnumerable(list);
    }

    private static BackpropTrainer.Options Options(FeatureStorage storage, bool lazy = true) => new()
    {
        HiddenLayerSizes = [8],
        MaximumNumberOfEpochs = 15,
        BatchSize = 50,
        LearningRate = 0.01,
        Seed = 1,
        NumberOfThreads = 1,
        FeatureStorage = storage,
        LazySparseUpdates = lazy,
    };

    /// <summary>Auto stores sparse vectors sparse and the dense breast-cancer features dense; the log says which.</summary>
    [Fact]
    public void AutoChoosesSparseForSparseVectorsAndDenseForDenseOnes()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.Message);
        ml.BinaryClassification.Trainers.Backprop(Options(FeatureStorage.Auto)).Fit(SparseRows(ml, 400, seed: 2));
        Assert.Contains(messages, m => m.Contains("training rows (sparse, ", StringComparison.Ordinal));

        messages.Clear();
        ml.BinaryClassification.Trainers.Backprop(Options(FeatureStorage.Auto)).Fit(MLData.BreastCancer(ml));
        Assert.Contains(messages, m => m.Contains("training rows (dense, in memory)", StringComparison.Ordinal));
    }

    /// <summary>
    /// Forced dense and forced sparse storage, with exact updates, train the same model: scores (logits up to 7.7) agree to
    /// float rounding, 1e-6 at most here; the bound, 1e-4 of the score, leaves a 100× margin and is far below a real difference
    /// such as a missing centring term. A sparse-trained model saves, loads and scores as it did.
    /// </summary>
    [Fact]
    public void DenseAndSparseStorageTrainTheSameModel()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = SparseRows(ml, 400, seed: 3), test = SparseRows(ml, 100, seed: 4);
        float[] Scores(ITransformer model) => model.Transform(test).GetColumn<float>("Score").ToArray();
        BackpropTransformer dense = ml.BinaryClassification.Trainers.Backprop(Options(FeatureStorage.Dense)).Fit(train);
        BackpropTransformer sparse = ml.BinaryClassification.Trainers.Backprop(Options(FeatureStorage.Sparse, lazy: false)).Fit(train);
        float[] a = Scores(dense), b = Scores(sparse);
        Assert.All(a.Zip(b), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4 * Math.Max(1, Math.Abs(p.First)), $"{p.First} vs {p.Second}"));
        double accuracy = ml.BinaryClassification.Evaluate(sparse.Transform(test)).Accuracy;
        Assert.True(accuracy > 0.8, $"accuracy {accuracy}");

        using var stream = new MemoryStream();
        ml.Model.Save(sparse, train.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = new MLContext().Model.Load(stream, out _);
        Assert.Equal(b, Scores(loaded));
    }

    /// <summary>
    /// Data that would not fit is refused before its storage is allocated: forced dense storage of 2,000,000 rows × 2,000
    /// features (16 GB) against 1 GiB available throws at the first row, having allocated almost nothing, and the message
    /// names the rows, the features, the size, the memory and the remedies.
    /// </summary>
    [Fact]
    public void DataThatCannotFitIsRefusedBeforeItIsAllocated()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InsufficientMemoryException>(() => new FeatureCollector(Width, 2_000_000, FeatureStorage.Dense, 1L << 30, "training"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1 << 20, $"{allocated:N0} bytes allocated before refusing");
        foreach (string part in new[] { "2,000,000 rows", "2,000 features", "14.9 GiB", "dense", "1 GiB of memory available", "FeatureStorage", "ProduceHashedWordBags", "sample" })
        {
            Assert.Contains(part, e.Message, StringComparison.Ordinal);
        }

        // Sparse storage of the same rows, 8 non-zeros each, fits in the same memory; the estimate follows the sample.
        var sparse = new FeatureCollector(Width, 2_000_000, FeatureStorage.Auto, 1L << 30, "training");
        var row = new VBuffer<float>(Width, 3, [1f, 2f, 3f], [4, 40, 400]);
        for (int r = 0; r < FeatureCollector.SampleRows; r++)
        {
            sparse.Add(row.GetValues(), row.GetIndices(), row.IsDense);
        }

        Assert.Equal(FeatureStorage.Sparse, sparse.Storage);
        var tooSmall = new FeatureCollector(Width, 2_000_000, FeatureStorage.Auto, 16L << 20, "training");
        Assert.Throws<InsufficientMemoryException>(() =>
        {
            for (int r = 0; r < FeatureCollector.SampleRows; r++)
            {
                tooSmall.Add(row.GetValues(), row.GetIndices(), row.IsDense);
            }
        });
    }

    /// <summary>A row of <see cref="WideWidth"/> sparse features.</summary>
    public sealed class WideRow
    {
        [VectorType(WideWidth)] public VBuffer<float> Features { get; set; }
        public bool Label { get; set; }
    }

    /// <summary>Features of <see cref="WideRow"/>: with 100 hidden units, 2.2 million parameters (8.8 MB).</summary>
    private const int WideWidth = 22_000;

    /// <summary>
    /// A network large enough to be prepared while the rows are read (<see cref="Training.TrainingPreparation"/>: a parameter
    /// array of 8 MiB or more, and a second core) is, as the log says, with two threads and with one, and both train the same
    /// model: the same scores bit for bit (<c>TrainingPreparationTests</c> hold a prepared training to the bits of one that
    /// prepares nothing).
    /// </summary>
    [Fact]
    public void AWideNetworkPreparedWhileReadingTrainsTheSameModel()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.Message);
        var random = new Random(8);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 300).Select(r =>
        {
            int[] indices = [.. Enumerable.Range(0, 8).Select(_ => random.Next(WideWidth)).Distinct().Order()];
            return new WideRow { Features = new VBuffer<float>(WideWidth, indices.Length, [.. indices.Select(i => 1f)], indices), Label = indices[0] % 2 == 0 };
        }).ToArray());
        BackpropTrainer.Options Wide(int threads) => new()
        {
            HiddenLayerSizes = [100],
            MaximumNumberOfEpochs = 2,
            BatchSize = 50,
            Seed = 1,
            NumberOfThreads = threads,
        };

        int Prepared() => messages.Count(m => m.Contains("prepared while the rows were read", StringComparison.Ordinal));
        float[] two = ml.BinaryClassification.Trainers.Backprop(Wide(2)).Fit(data).Transform(data).GetColumn<float>("Score").ToArray();
        Assert.Equal(Environment.ProcessorCount >= 2 ? 1 : 0, Prepared());
        float[] one = ml.BinaryClassification.Trainers.Backprop(Wide(1)).Fit(data).Transform(data).GetColumn<float>("Score").ToArray();
        Assert.Equal(Environment.ProcessorCount >= 2 ? 2 : 0, Prepared());
        Assert.Equal(one, two);
    }

    /// <summary>Text through FeaturizeText (sparse n-grams) trains with sparse storage by default and learns the labels.</summary>
    [Fact]
    public void TextTrainsSparseByDefault()
    {
        var ml = new MLContext(seed: 1);
        string[] good = ["great", "excellent", "love", "works well", "recommend"], bad = ["broken", "awful", "refund", "stopped working", "poor"];
        var random = new Random(5);
        var rows = Enumerable.Range(0, 600).Select(i =>
        {
            bool positive = i % 2 == 0;
            string[] words = positive ? good : bad;
            return new { Text = $"the product {words[random.Next(5)]} and {words[random.Next(5)]} item{i % 37}", Label = positive };
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.Message);
        var model = ml.Transforms.Text.FeaturizeText("Features", "Text")
            .Append(ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [16], MaximumNumberOfEpochs = 10, Seed = 0 }))
            .Fit(data);
        Assert.Contains(messages, m => m.Contains("training rows (sparse, ", StringComparison.Ordinal));
        Assert.True(ml.BinaryClassification.Evaluate(model.Transform(data)).Accuracy > 0.95);
    }
}
