using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.MLNet;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// "Same start, same order": trains the engine from scikit-learn's own initial weights on the rows in file order
/// (no shuffling), so the loss curve can be set against scikit-learn's epoch by epoch
/// (benchmarks/parity/fmnist_same_start.py writes the weights and data and prints scikit-learn's curve).
/// </summary>
internal static class SameStartBenchmark
{
    /// <summary>Runs the comparison from the files in <paramref name="folder"/>.</summary>
    public static void Run(BenchmarkOptions options, string folder = "/tmp/fmnist-same-start")
    {
        Console.WriteLine($"== samestart: 784-256-128-10 ReLU, Adam 1e-3, batch 128, no L2, no shuffling, from scikit-learn's initial weights in {folder} ==");
        if (!File.Exists(Path.Combine(folder, "w0.bin")))
        {
            Console.WriteLine("No weights found: run benchmarks/parity/fmnist_same_start.py first.");
            return;
        }

        float[] xtr = Read(folder, "xtr"), ytr = Read(folder, "ytr"), xte = Read(folder, "xte"), yte = Read(folder, "yte");
        var parameters = new List<float>();
        for (int layer = 0; layer < 3; layer++)
        {
            parameters.AddRange(Read(folder, $"w{layer}"));
            parameters.AddRange(Read(folder, $"b{layer}"));
        }

        var network = Network.FromParameters([784, 256, 128, 10], ActivationKind.Relu, OutputKind.Softmax, parameters.ToArray());
        var publicOptions = new BackpropTrainer.Options
        {
            HiddenLayerSizes = [256, 128],
            Activation = Activation.Relu,
            Solver = Solver.Adam,
            LearningRate = 1e-3,
            L2Regularization = 0,
            BatchSize = 128,
            MaximumNumberOfEpochs = 5,
            Shuffle = false,
            Tolerance = 0,
            NumberOfThreads = options.EffectiveThreads,
        };
        TrainingSettings settings = EngineMapping.ToSettings(publicOptions, BackpropTask.MulticlassClassification, outputSize: 10, seed: 0);
        var data = new TrainingData(xtr, ytr, ytr.Length, 784, 1);
        var test = new TrainingData(xte, yte, yte.Length, 784, 1);
        Network trained = MlpTrainer.Train(data, settings, record =>
            Console.WriteLine($"Backprop.MLNet epoch {record.Epoch}: training loss {record.TrainingLoss:F4}"),
            resume: new TrainingCheckpoint { Network = network }).Network;
        var workspace = new BackpropWorkspace(trained, 1000);
        Console.WriteLine($"Backprop.MLNet test accuracy {Evaluation.Score(workspace, test):F4}");
        Console.WriteLine();
    }

    private static float[] Read(string folder, string name)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(folder, name + ".bin"));
        var values = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, values, 0, values.Length * sizeof(float));
        return values;
    }
}
