namespace Backprop.MLNet.Benchmarks;

/// <summary>The FMNIST-MLP data: Fashion-MNIST from its IDX files, or a seeded synthetic stand-in of the same shape.</summary>
internal static class FashionMnist
{
    /// <summary>Pixels per image (28 × 28).</summary>
    public const int Features = 784;

    /// <summary>Clothing classes.</summary>
    public const int Classes = 10;

    /// <summary>The training and test sets and where they came from.</summary>
    /// <param name="Train">60,000 rows.</param>
    /// <param name="Test">10,000 rows.</param>
    /// <param name="Source">The folder read, or a sentence saying the data is synthetic.</param>
    /// <param name="IsSynthetic">True when the data set was not found.</param>
    public sealed record Data(LabeledData Train, LabeledData Test, string Source, bool IsSynthetic);

    /// <summary>Reads Fashion-MNIST from <paramref name="directory"/>, or makes synthetic data when its files are missing.</summary>
    /// <param name="directory">The folder with train-images-idx3-ubyte(.gz) and the three other files.</param>
    /// <returns>The data.</returns>
    public static Data Load(string directory)
    {
        string? trainImages = Find(directory, "train-images-idx3-ubyte"), trainLabels = Find(directory, "train-labels-idx1-ubyte");
        string? testImages = Find(directory, "t10k-images-idx3-ubyte"), testLabels = Find(directory, "t10k-labels-idx1-ubyte");
        if (trainImages is null || trainLabels is null || testImages is null || testLabels is null)
        {
            return new Data(Synthetic(60_000, seed: 1), Synthetic(10_000, seed: 2),
                $"SYNTHETIC (Fashion-MNIST not found in {directory}; install Debian's dataset-fashion-mnist): seeded random data of the same shape", IsSynthetic: true);
        }

        var train = new LabeledData(IdxReader.ReadImages(trainImages), IdxReader.ReadLabels(trainLabels), Features, Classes);
        var test = new LabeledData(IdxReader.ReadImages(testImages), IdxReader.ReadLabels(testLabels), Features, Classes);
        foreach (LabeledData set in new[] { train, test })
        {
            if (set.Features.Length != set.Classes.Length || set.Features.Any(f => f.Length != Features) || set.Classes.Any(c => c >= Classes))
            {
                throw new InvalidDataException($"The Fashion-MNIST files in {directory} do not hold {Features}-pixel images with labels 0 to {Classes - 1}.");
            }
        }

        return new Data(train, test, $"Fashion-MNIST, {directory}", IsSynthetic: false);
    }

    /// <summary>Whether <paramref name="directory"/> holds the four IDX files (else <see cref="Load"/> makes synthetic data).</summary>
    /// <param name="directory">The folder.</param>
    /// <returns>True when all four are there.</returns>
    public static bool IsPresent(string directory) =>
        new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" }.All(n => Find(directory, n) is not null);

    private static string? Find(string directory, string name) =>
        new[] { name + ".gz", name }.Select(n => Path.Combine(directory, n)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Rows of the real shape: each class has a random prototype image, and a row is its class's prototype plus
    /// noise, clipped to [0, 1] (so the task is learnable and the accuracy means something). The prototypes come
    /// from a fixed seed, so training and test sets share them.
    /// </summary>
    private static LabeledData Synthetic(int rows, int seed)
    {
        var prototypeRandom = new Random(12345);
        float[][] prototypes = Enumerable.Range(0, Classes)
            .Select(_ => Enumerable.Range(0, Features).Select(_ => prototypeRandom.NextSingle()).ToArray()).ToArray();
        var random = new Random(seed);
        var features = new float[rows][];
        var classes = new byte[rows];
        for (int r = 0; r < rows; r++)
        {
            int c = random.Next(Classes);
            classes[r] = (byte)c;
            var row = new float[Features];
            for (int i = 0; i < Features; i++)
            {
                row[i] = Math.Clamp(prototypes[c][i] + ((random.NextSingle() - 0.5f) * 1.5f), 0f, 1f);
            }

            features[r] = row;
        }

        return new LabeledData(features, classes, Features, Classes);
    }
}
