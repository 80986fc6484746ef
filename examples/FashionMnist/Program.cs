// Fashion-MNIST (70,000 28×28 grey images of clothing, 10 classes) with a 784-256-128-10 ReLU network.
// The data comes from Debian's package: apt-get install dataset-fashion-mnist
// (files under /usr/share/datasets/fashion-mnist). Usage: dotnet run -c Release --project examples/FashionMnist [-- epochs]
using System.IO.Compression;
using Backprop.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

const string Folder = "/usr/share/datasets/fashion-mnist";
string[] classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
if (!File.Exists(Path.Combine(Folder, "train-images-idx3-ubyte.gz")))
{
    Console.WriteLine($"Fashion-MNIST is not installed ({Folder} is missing). Install it with:");
    Console.WriteLine("  sudo apt-get install dataset-fashion-mnist");
    Console.WriteLine("and run this example again.");
    return 0;
}

int epochs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10;
var mlContext = new MLContext(seed: 1);
IDataView train = Load(mlContext, "train"), test = Load(mlContext, "t10k");
Console.WriteLine($"Loaded 60,000 training and 10,000 test images; training 784-256-128-10 (ReLU, Adam, batch 128) for {epochs} epochs.");

// Keys in label-value order, so that class index c is the label c (the confusion matrix below relies on it).
var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
    .Append(mlContext.MulticlassClassification.Trainers.Backprop(new BackpropTrainer.Options
    {
        HiddenLayerSizes = [256, 128],
        BatchSize = 128,
        L2Regularization = 0,
        MaximumNumberOfEpochs = epochs,
        Tolerance = 0,
        Progress = new ProgressBar(epochs),
    }))
    .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
var model = pipeline.Fit(train);

IDataView scored = model.Transform(test);
var metrics = mlContext.MulticlassClassification.Evaluate(scored);
var history = ((IEnumerable<ITransformer>)model).OfType<BackpropTransformer>().Single().Model.TrainingHistory;
double[] perEpoch = history.Select((r, i) => (r.Elapsed - (i == 0 ? TimeSpan.Zero : history[i - 1].Elapsed)).TotalSeconds).ToArray();
Console.WriteLine();
Console.WriteLine($"Test accuracy {metrics.MicroAccuracy:F4} (macro {metrics.MacroAccuracy:F4}), log loss {metrics.LogLoss:F4}.");
Console.WriteLine($"Time per epoch: median {perEpoch.Order().ElementAt(perEpoch.Length / 2):F2} s, min {perEpoch.Min():F2} s, max {perEpoch.Max():F2} s.");
Console.WriteLine("Per-class recall:");
var confusion = metrics.ConfusionMatrix;
for (int c = 0; c < classes.Length; c++)
{
    Console.WriteLine($"  {classes[c],-12} {confusion.PerClassRecall[c]:F3}");
}

return 0;

// Reads one split of the IDX files (big-endian headers; pixels scaled to [0, 1]).
static IDataView Load(MLContext mlContext, string split)
{
    byte[] images = Unzip(Path.Combine(Folder, $"{split}-images-idx3-ubyte.gz"));
    byte[] labels = Unzip(Path.Combine(Folder, $"{split}-labels-idx1-ubyte.gz"));
    int count = BigEndian(images, 4), rows = BigEndian(images, 8), cols = BigEndian(images, 12);
    if (BigEndian(images, 0) != 2051 || BigEndian(labels, 0) != 2049 || BigEndian(labels, 4) != count || rows * cols != 784)
    {
        throw new InvalidDataException($"{split}: not the Fashion-MNIST IDX layout.");
    }

    var samples = new Image[count];
    for (int i = 0; i < count; i++)
    {
        var pixels = new float[784];
        for (int p = 0; p < 784; p++)
        {
            pixels[p] = images[16 + (i * 784) + p] / 255f;
        }

        samples[i] = new Image { Features = pixels, Label = labels[8 + i] };
    }

    return mlContext.Data.LoadFromEnumerable(samples);
}

static byte[] Unzip(string path)
{
    using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
    using var memory = new MemoryStream();
    gzip.CopyTo(memory);
    return memory.ToArray();
}

static int BigEndian(byte[] bytes, int offset) =>
    (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];

/// <summary>One image: 784 pixels in [0, 1] and its class 0–9.</summary>
internal sealed class Image
{
    [VectorType(784)]
    public float[] Features { get; set; } = [];

    public float Label { get; set; }
}

/// <summary>A one-line progress display, redrawn after every epoch (the library itself never writes to the console).</summary>
internal sealed class ProgressBar(int epochs) : IProgress<EpochReport>
{
    public void Report(EpochReport value)
    {
        const int Width = 30;
        int done = Width * value.Epoch / epochs;
        double perEpoch = value.Elapsed.TotalSeconds / value.Epoch;
        string bar = new string('#', done) + new string('.', Width - done);
        Console.Write($"\r  [{bar}] epoch {value.Epoch}/{epochs}  loss {value.TrainingLoss:F4}  {perEpoch:F2} s/epoch  ETA {perEpoch * (epochs - value.Epoch):F0} s   ");
        if (value.Epoch == epochs)
        {
            Console.WriteLine();
        }
    }
}
