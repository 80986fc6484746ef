using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The rawscale workload: Backprop with its default options on raw tabular features of very different scales
/// (<see cref="RawScaleData"/>), (a) without a normaliser, (b) after NormalizeMeanVariance with ML.NET's default
/// fixZero: true (scaled, not centred), (c) after NormalizeMeanVariance with fixZero: false (standardised), each over
/// seeds 0 to <c>--seeds</c> − 1 (the MLContext's and the trainer's; the data set is fixed), and (d) LightGbm with its
/// defaults on the raw features, one seed. Test accuracy (mean, min, max) and mean test log-loss.
/// </summary>
internal static class RawScaleBenchmark
{
    /// <summary>One pipeline: its name and how to build it (the MLContext and the seed given).</summary>
    private sealed record Pipeline(string Name, Func<MLContext, int, IEstimator<ITransformer>> Build, bool OneSeed = false);

    /// <summary>What one fit measured.</summary>
    private sealed record FitResult(double Accuracy, double LogLoss, double Auc, double FitSeconds, int? Epochs, double Entropy);

    /// <summary>Runs the workload and prints its tables.</summary>
    /// <param name="options">The command line.</param>
    public static void Run(BenchmarkOptions options)
    {
        Console.WriteLine($"== rawscale: {RawScaleData.Rows:N0} synthetic rows (80/20), one-hot {RawScaleData.Sectors.Length} sectors + " +
            $"{RawScaleData.NumericColumns.Length} positive numeric columns on raw scales; Backprop with default options, seeds 0..{options.Seeds - 1}; " +
            $"threads {options.Threads?.ToString() ?? "default"} ==");
        (RawScaleRow[] train, RawScaleRow[] test) = RawScaleData.Generate();
        PrintData(train, test);

        Pipeline[] pipelines =
        [
            new("(a) Backprop, no normaliser", (ml, seed) => Backprop(ml, seed, options)),
            new("(b) NormalizeMeanVariance (fixZero: true) + Backprop",
                (ml, seed) => ml.Transforms.NormalizeMeanVariance("Features").Append(Backprop(ml, seed, options))),
            new("(c) NormalizeMeanVariance (fixZero: false) + Backprop",
                (ml, seed) => ml.Transforms.NormalizeMeanVariance("Features", fixZero: false).Append(Backprop(ml, seed, options))),
            new("(d) LightGbm, defaults, raw features",
                (ml, _) => ml.BinaryClassification.Trainers.LightGbm(new Microsoft.ML.Trainers.LightGbm.LightGbmBinaryTrainer.Options
                {
                    NumberOfThreads = options.Threads,
                }), OneSeed: true),
        ];

        double entropy = double.NaN;
        var table = new Table("pipeline", "seeds", "accuracy mean", "min", "max", "log-loss mean", "AUC mean", "epochs mean", "fit s mean");
        foreach (Pipeline pipeline in pipelines)
        {
            int seeds = pipeline.OneSeed ? 1 : options.Seeds;
            var runs = new List<FitResult>();
            for (int seed = 0; seed < seeds; seed++)
            {
                runs.Add(Fit(pipeline, seed, train, test));
            }

            entropy = runs[0].Entropy;
            Console.WriteLine($"{pipeline.Name}: accuracy by seed {string.Join(" ", runs.Select(r => r.Accuracy.ToString("F4")))}");
            table.Add(pipeline.Name, $"{seeds}", $"{runs.Average(r => r.Accuracy):F4}", $"{runs.Min(r => r.Accuracy):F4}", $"{runs.Max(r => r.Accuracy):F4}",
                $"{runs.Average(r => r.LogLoss):F4}", $"{runs.Average(r => r.Auc):F4}",
                runs.All(r => r.Epochs is not null) ? $"{runs.Average(r => r.Epochs!.Value):F1}" : "-", $"{runs.Average(r => r.FitSeconds):F2}");
        }

        Console.WriteLine();
        table.Print();
        Console.WriteLine($"Test base rate (the accuracy of always predicting true): {test.Count(r => r.Label) / (double)test.Length:F4}; " +
            $"its log-loss (ML.NET's Entropy): {entropy:F4}.");
        Console.WriteLine("Log-loss as ML.NET's evaluator reports it: in bits (log base 2, as the Entropy above shows), infinite when a wrong " +
            "prediction has probability exactly 0 or 1.");
        Console.WriteLine();
    }

    /// <summary>Backprop with its default options (one hidden layer of 100, up to 200 epochs), only Seed and NumberOfThreads set.</summary>
    private static BackpropTrainer Backprop(MLContext mlContext, int seed, BenchmarkOptions options) =>
        mlContext.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { Seed = seed, NumberOfThreads = options.Threads });

    /// <summary>Fits one-hot encoding, concatenation and the pipeline with the given seed; evaluates on the test rows.</summary>
    private static FitResult Fit(Pipeline pipeline, int seed, RawScaleRow[] train, RawScaleRow[] test)
    {
        var mlContext = new MLContext(seed);
        IDataView trainView = mlContext.Data.LoadFromEnumerable(train), testView = mlContext.Data.LoadFromEnumerable(test);
        EstimatorChain<ITransformer> estimator = mlContext.Transforms.Categorical.OneHotEncoding("SectorOneHot", nameof(RawScaleRow.Sector))
            .Append(mlContext.Transforms.Concatenate("Features", [.. RawScaleData.NumericColumns, "SectorOneHot"]))
            .Append(pipeline.Build(mlContext, seed));
        var clock = Stopwatch.StartNew();
        TransformerChain<ITransformer> model = estimator.Fit(trainView);
        double seconds = clock.Elapsed.TotalSeconds;
        CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(model.Transform(testView));
        int? epochs = FindBackprop(model)?.Model.TrainingHistory.Count;
        return new FitResult(metrics.Accuracy, metrics.LogLoss, metrics.AreaUnderRocCurve, seconds, epochs, metrics.Entropy);
    }

    /// <summary>The last BackpropTransformer in a (possibly nested) transformer chain.</summary>
    private static BackpropTransformer? FindBackprop(ITransformer transformer) => transformer switch
    {
        BackpropTransformer backprop => backprop,
        IEnumerable<ITransformer> chain => chain.Select(FindBackprop).LastOrDefault(b => b is not null),
        _ => null,
    };

    /// <summary>The columns' raw ranges on the training rows, and the base rates.</summary>
    private static void PrintData(RawScaleRow[] train, RawScaleRow[] test)
    {
        var table = new Table("column (training rows)", "min", "mean", "max");
        foreach (string column in RawScaleData.NumericColumns)
        {
            var property = typeof(RawScaleRow).GetProperty(column)!;
            float[] values = train.Select(r => (float)property.GetValue(r)!).ToArray();
            table.Add(column, $"{values.Min():G6}", $"{values.Average(v => (double)v):G6}", $"{values.Max():G6}");
        }

        table.Add("Sector", $"{RawScaleData.Sectors.Length} values", "", "");
        table.Add("Label true (training / test)", $"{train.Count(r => r.Label) / (double)train.Length:F4}", "", $"{test.Count(r => r.Label) / (double)test.Length:F4}");
        table.Print();
    }
}
