using System.Diagnostics;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.MLNet.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// Where the time of scoring goes, for the FMNIST-MLP network: the parts of batch <c>Transform</c> (reading the
/// input view, the network alone, the whole scored cursor) and of one-row prediction (the first layer alone on
/// 1 and 2 threads, the whole network, <c>PredictionEngine.Predict</c>). The model is trained for one epoch:
/// the timings do not depend on the weights.
/// </summary>
internal static class ScoringBenchmark
{
    private const int Repeats = 15;
    private const int WarmupCalls = 100_000;
    private const int SingleRowCalls = 20_000;

    /// <summary>Runs the breakdown and prints its table.</summary>
    /// <param name="options">The command line.</param>
    public static void Run(BenchmarkOptions options)
    {
        int threads = options.EffectiveThreads;
        Console.WriteLine($"== scoring: where scoring time goes, FMNIST-MLP network 784-256-128-10, threads {threads} ==");
        FashionMnist.Data data = FashionMnist.Load(options.DataDirectory);
        if (data.IsSynthetic)
        {
            Console.WriteLine("WARNING: SYNTHETIC DATA (timings only).");
        }

        var mlContext = new MLContext(seed: 0);
        IDataView train = data.Train.ToDataView(mlContext), test = data.Test.ToDataView(mlContext);
        BackpropTransformer model = mlContext.MulticlassClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [256, 128],
            BatchSize = 128,
            MaximumNumberOfEpochs = 1,
            Seed = options.Seed,
            NumberOfThreads = threads,
        }).Fit(train);
        Network network = model.Model.Network;
        int rows = data.Test.Rows, inputs = network.InputSize;

        // The test rows as one contiguous matrix, for the network-only figures; and a copy with every zero pixel
        // replaced by 1/255, for one-row figures with no input to skip.
        var matrix = new float[rows * inputs];
        for (int r = 0; r < rows; r++)
        {
            data.Test.Features[r].CopyTo(matrix, r * inputs);
        }

        float[] noZeros = matrix.Select(v => v == 0f ? 1f / 255 : v).ToArray();
        int block = BlockScoringDataView.DefaultBlockRows;
        var packed = new PackedNetwork(network);
        Console.WriteLine($"Zero inputs in the test rows: {matrix.Count(v => v == 0f) / (double)matrix.Length:P1}. " +
            $"Packed copy of the weights: {Stats.Mebibytes(packed.Bytes)}.");
        CheckAgreement(network, packed, matrix, rows, block, threads);

        var table = new Table("part (10,000 test rows unless said)", $"best of {Repeats}", $"median of {Repeats}");
        Add(table, "read Features through the input view's cursor", () => ReadFeatures(test));
        InferenceScratch blockScratch = network.CreateScratch(block);
        Add(table, $"training layout (Network.Forward), blocks of {block}, {threads} thread(s)", () =>
        {
            for (int r = 0; r < rows; r += block)
            {
                network.Forward(matrix.AsSpan(r * inputs), Math.Min(block, rows - r), blockScratch, threads);
            }
        });
        Add(table, $"packed network, blocks of {block}, 1 thread", () =>
        {
            for (int r = 0; r < rows; r += block)
            {
                packed.Forward(matrix.AsSpan(r * inputs), Math.Min(block, rows - r), blockScratch, 1);
            }
        });
        if (threads > 1)
        {
            // The ceiling of Transform's pipeline, which scores whole blocks on each thread: the same blocks spread over
            // the threads (every thread its own scratch, blocks taken in turn), with no reading, filling or serving.
            InferenceScratch[] scratches = Enumerable.Range(0, threads).Select(_ => network.CreateScratch(block)).ToArray();
            Add(table, $"packed network, blocks of {block}, whole blocks on {threads} threads", () =>
                System.Threading.Tasks.Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    for (int r = t * block; r < rows; r += threads * block)
                    {
                        packed.Forward(matrix.AsSpan(r * inputs), Math.Min(block, rows - r), scratches[t], 1);
                    }
                }));
        }

        Add(table, "Transform + cursor over Score and PredictedLabel", () => FmnistBenchmark.ScoreAll(model, test, out _));

        InferenceScratch one = network.CreateScratch(1);
        AddPerCall(table, "one row: training layout (Network.Forward)", i => network.Forward(matrix.AsSpan((i % rows) * inputs, inputs), 1, one));
        AddPerCall(table, "one row: PackedNetwork.Forward", i => packed.Forward(matrix.AsSpan((i % rows) * inputs, inputs), 1, one));
        AddPerCall(table, "one row: PackedNetwork.Forward, no zero inputs", i => packed.Forward(noZeros.AsSpan((i % rows) * inputs, inputs), 1, one));

        using PredictionEngine<LabeledRow, MulticlassPrediction> engine =
            mlContext.Model.CreatePredictionEngine<LabeledRow, MulticlassPrediction>(model, inputSchemaDefinition: data.Test.Schema());
        LabeledRow[] testRows = data.Test.ToRows();
        LabeledRow[] denseRows = testRows.Select((row, i) => new LabeledRow { Features = noZeros.AsSpan(i * inputs, inputs).ToArray(), Label = row.Label }).ToArray();
        var prediction = new MulticlassPrediction();
        AddPerCall(table, "one row: PredictionEngine.Predict", i => engine.Predict(testRows[i % rows], ref prediction));
        AddPerCall(table, "one row: PredictionEngine.Predict, no zero inputs", i => engine.Predict(denseRows[i % rows], ref prediction));
        table.Print();
        Console.WriteLine($"One-row figures: µs per call, {SingleRowCalls:N0} calls cycling through the test rows; best and median of {Repeats} such runs.");
        Console.WriteLine();
    }

    /// <summary>Prints how far the packed network is from the training layout; throws unless every row alone equals its row in a block.</summary>
    private static void CheckAgreement(Network network, PackedNetwork packed, float[] matrix, int rows, int block, int threads)
    {
        int inputs = network.InputSize, outputs = network.OutputSize;
        InferenceScratch a = network.CreateScratch(block), b = network.CreateScratch(block), one = network.CreateScratch(1);
        double largest = 0;
        for (int r = 0; r + block <= rows; r += block)
        {
            float[] p = packed.Forward(matrix.AsSpan(r * inputs), block, a, threads).ToArray();
            ReadOnlySpan<float> q = network.Forward(matrix.AsSpan(r * inputs), block, b, threads);
            for (int i = 0; i < p.Length; i++)
            {
                largest = Math.Max(largest, Math.Abs(p[i] - q[i]));
            }

            for (int i = 0; i < block; i++)
            {
                if (!packed.Forward(matrix.AsSpan((r + i) * inputs, inputs), 1, one).SequenceEqual(p.AsSpan(i * outputs, outputs)))
                {
                    throw new InvalidOperationException($"Row {r + i} alone differs from its row in a block.");
                }
            }
        }

        Console.WriteLine($"Packed vs training layout: largest |difference| of a probability {largest:G3}; every row alone equals its row in a block.");
    }

    private static void Add(Table table, string name, Action action)
    {
        SteadyState.WarmUp(action);

        var ms = new double[Repeats];
        for (int i = 0; i < Repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            ms[i] = clock.Elapsed.TotalMilliseconds;
        }

        table.Add(name, $"{ms.Min():F2} ms", $"{Stats.Median(ms):F2} ms");
    }

    private static void AddPerCall(Table table, string name, Action<int> call)
    {
        for (int i = 0; i < WarmupCalls; i++)
        {
            call(i);
        }

        var micros = new double[Repeats];
        for (int repeat = 0; repeat < Repeats; repeat++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < SingleRowCalls; i++)
            {
                call(i);
            }

            micros[repeat] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / SingleRowCalls;
        }

        table.Add(name, $"{micros.Min():F2} µs", $"{Stats.Median(micros):F2} µs");
    }

    private static void ReadFeatures(IDataView view)
    {
        DataViewSchema.Column features = view.Schema["Features"];
        using DataViewRowCursor cursor = view.GetRowCursor([features]);
        ValueGetter<VBuffer<float>> get = cursor.GetGetter<VBuffer<float>>(features);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            get(ref value);
        }
    }
}
