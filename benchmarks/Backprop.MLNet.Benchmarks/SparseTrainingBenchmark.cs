using System.Diagnostics;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Sparse;
using Backprop.MLNet.MLNet;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The sparse training path alone, at the text workload's shape (16,000 rows × 100,000 features, ~114 non-zeros per row
/// drawn from a Zipf-like distribution, [100] hidden, Adam, batch 200): where an epoch's time goes (gathering the
/// minibatch, the forward and backward pass, the optimizer step), lazy and exact, and the whole training loop.
/// </summary>
internal static class SparseTrainingBenchmark
{
    private const int Rows = 16_000;
    private const int Features = 100_000;
    private const int PerRow = 114;
    private const int Hidden = 100;
    private const int Epochs = 3;

    /// <summary>Runs the workload and prints its tables.</summary>
    /// <param name="options">The command line.</param>
    public static void Run(BenchmarkOptions options)
    {
        Console.WriteLine($"== sparsetrain: {Rows:N0} rows × {Features:N0} features, {PerRow} non-zeros per row, [{Hidden}] hidden, Adam, batch 200, {Epochs} epochs ==");
        TrainingData data = Data(seed: 1);
        var shape = new Network(Features, [Hidden], 1, Backprop.MLNet.Engine.Activations.ActivationKind.Relu, Backprop.MLNet.Engine.Outputs.OutputKind.Sigmoid);
        float[] scratch = FirstLayerLayout.Scratch(shape);
        for (int i = 0; i < 3; i++)
        {
            var transposeClock = Stopwatch.StartNew();
            FirstLayerLayout.Transpose(shape.Parameters, shape, toTransposed: i % 2 == 0, scratch);
            Console.WriteLine($"  transposing the first layer ({Features:N0} × {Hidden}): {transposeClock.Elapsed.TotalMilliseconds:F1} ms");
            var initClock = Stopwatch.StartNew();
            shape.InitializeGlorot(new SeededRandom(i));
            Console.WriteLine($"  Glorot initialisation of {shape.ParameterCount:N0} parameters: {initClock.Elapsed.TotalMilliseconds:F1} ms");
        }

        var table = new Table("updates", "gather ms/epoch", "forward+backward ms/epoch", "optimizer ms/epoch", "epoch s (MlpTrainer)");
        foreach (bool lazy in new[] { true, false })
        {
            TrainingSettings settings = EngineMapping.ToSettings(
                new BackpropTrainer.Options { HiddenLayerSizes = [Hidden], NumberOfThreads = options.EffectiveThreads, LazySparseUpdates = lazy },
                BackpropTask.BinaryClassification, 1, 0);
            (double gather, double passes, double step) = Parts(data, settings, lazy);
            var clock = Stopwatch.StartNew();
            TrainingResult result = MlpTrainer.Train(data, settings with { MaximumNumberOfEpochs = Epochs, Tolerance = 0 });
            double epoch = clock.Elapsed.TotalSeconds / result.History.Count;
            table.Add(lazy ? "lazy" : "exact", $"{gather:F1}", $"{passes:F1}", $"{step:F1}", $"{epoch:F3}");
        }

        table.Print();
    }

    /// <summary>Times the parts of one epoch (after a warm-up epoch), by running the minibatch loop by hand.</summary>
    private static (double Gather, double Passes, double Step) Parts(TrainingData data, TrainingSettings settings, bool lazy)
    {
        var network = new Network(Features, [Hidden], 1, settings.Activation, settings.OutputKind);
        network.InitializeGlorot(new SeededRandom(0));
        FirstLayerLayout.Transpose(network.Parameters, network, toTransposed: true, FirstLayerLayout.Scratch(network));
        var sparse = new SparseFirstLayer(network, null, lazy);
        var workspace = new BackpropWorkspace(network, settings.BatchSize, settings.NumberOfThreads, sparse: sparse);
        var batches = new MinibatchSource(data, settings.BatchSize, shuffle: true, new SeededRandom(3));
        var optimizer = new AdamOptimizer(network.ParameterCount, 0.9, 0.999, 1e-8) { Threads = settings.NumberOfThreads };
        var gradient = new float[network.ParameterCount];
        double gather = 0, passes = 0, step = 0, forward = 0;
        for (int epoch = 0; epoch < 2; epoch++)
        {
            gather = passes = step = forward = 0;
            batches.StartEpoch();
            for (int b = 0; b < batches.BatchCount; b++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Minibatch batch = batches.GetBatch(b);
                long t1 = Stopwatch.GetTimestamp();
                workspace.Forward(batch.Inputs);
                forward += Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
                t1 = Stopwatch.GetTimestamp();
                workspace.ComputeLossAndGradient(batch.Inputs, batch.Targets, 1e-4f, gradient, batch.Weights);
                long t2 = Stopwatch.GetTimestamp();
                if (lazy)
                {
                    optimizer.Step(network.Parameters, gradient, 1e-3, new ParameterSubset(sparse.Touched, Hidden, network.BiasOffset(0)));
                }
                else
                {
                    optimizer.Step(network.Parameters, gradient, 1e-3);
                }

                long t3 = Stopwatch.GetTimestamp();
                gather += Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
                passes += Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
                step += Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
            }

            Console.WriteLine($"  {(lazy ? "lazy" : "exact")} epoch {epoch + 1}: gather {gather:F1} ms, forward alone {forward:F1} ms, forward + backward {passes:F1} ms, optimizer {step:F1} ms");
        }

        return (gather, passes, step);
    }

    /// <summary>Rows of <see cref="PerRow"/> distinct features each, drawn with a Zipf-like skew (as words are), L2-normalised values.</summary>
    private static TrainingData Data(int seed)
    {
        var random = new SeededRandom(seed);
        var starts = new int[Rows + 1];
        var indices = new int[Rows * PerRow];
        var values = new float[Rows * PerRow];
        var targets = new float[Rows];
        var row = new SortedSet<int>();
        for (int r = 0; r < Rows; r++)
        {
            row.Clear();
            while (row.Count < PerRow)
            {
                // Zipf-like: the feature index is Features^u − 1 for u uniform in [0, 1).
                row.Add((int)Math.Min(Features - 1, Math.Pow(Features, random.NextDouble()) - 1));
            }

            int k = r * PerRow;
            foreach (int index in row)
            {
                indices[k] = index;
                values[k++] = (float)(1 / Math.Sqrt(PerRow));
            }

            starts[r + 1] = k;
            targets[r] = (row.Min + row.Max) % 2;
        }

        return new TrainingData(new SparseRows(starts, indices, values, Features), targets, 1);
    }
}
