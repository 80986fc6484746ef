using System.Diagnostics;
using System.Globalization;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The text workload: synthetic product reviews (<see cref="SyntheticReviews"/>) featurized by FeaturizeText with
/// ML.NET's defaults into a wide, sparse vector (about 100,000 features at 20,000 rows), and three binary trainers fitted
/// on it: SdcaLogisticRegression and LightGbm with ML.NET's defaults, and Backprop with one hidden layer of 100 and 10
/// epochs. Each trainer runs in its own child process so that its peak working set is its own; a child that fails
/// (out of memory, say) is reported as failed.
/// </summary>
internal static class TextBenchmark
{
    private const int SampleReviews = 3;

    /// <summary>Runs the workload: every trainer in a child process, or only <c>--trainer</c>'s in this one.</summary>
    /// <param name="options">The command line.</param>
    /// <returns>The exit code: 0, or 1 when the single in-process trainer failed.</returns>
    public static int Run(BenchmarkOptions options)
    {
        if (options.Trainer is not null)
        {
            return TextTrainerRun.Run(options);
        }

        Console.WriteLine($"== text: {options.Rows:N0} synthetic reviews (seed {SyntheticReviews.DefaultSeed}), 80/20 split, FeaturizeText defaults " +
            $"(word 1-2-grams + char 3-grams); SdcaLogisticRegression, LightGbm (defaults), Backprop (100 hidden, 10 epochs, seed {options.Seed}); " +
            $"threads {(options.Threads?.ToString(CultureInfo.InvariantCulture) ?? "default")}; one child process per trainer ==");
        PrintSample(options.Rows);

        var results = new List<TextRunResult>();
        foreach ((string trainer, bool pipeline) in BenchmarkOptions.TextTrainers.Select(t => (t, false)).Concat(BenchmarkOptions.TextTrainers.Select(t => (t, true))))
        {
            List<string> arguments = ["text", "--trainer", trainer, "--rows", options.Rows.ToString(CultureInfo.InvariantCulture),
                "--seed", options.Seed.ToString(CultureInfo.InvariantCulture)];
            if (pipeline)
            {
                arguments.Add("--pipeline");
            }

            if (options.Threads is int threads)
            {
                arguments.AddRange(["--threads", threads.ToString(CultureInfo.InvariantCulture)]);
            }

            if (trainer == "backprop")
            {
                foreach (string setting in options.BackpropSettings)
                {
                    arguments.AddRange(["--backprop", setting]);
                }
            }

            Console.WriteLine($"Child: {string.Join(' ', arguments)}");
            ChildProcess.Outcome outcome = ChildProcess.Run(arguments);
            TextRunResult? result = outcome.StandardOutput.Select(TextRunResult.FromLine).LastOrDefault(r => r is not null);
            result ??= new TextRunResult { Trainer = trainer, Failure = ChildProcess.Reason(outcome) };
            Console.WriteLine($"  {(result.Failure is null ? "done" : "FAILED")} in {outcome.Seconds:F1} s (exit code {outcome.ExitCode})");
            results.Add(result);
        }

        Console.WriteLine();
        PrintData(results.Where(r => !r.Pipeline).ToList());
        Console.WriteLine("Trainers on the cached features (the trainer's Fit only):");
        PrintTrainers(results.Where(r => !r.Pipeline).ToList());
        Console.WriteLine("Whole pipelines, FeaturizeText + trainer, fitted on the raw text with no cache (Fit of the pipeline):");
        PrintTrainers(results.Where(r => r.Pipeline).ToList());
        return 0;
    }

    /// <summary>Generates the reviews here too (cheap) to time the generator and show what the text looks like.</summary>
    private static void PrintSample(int rows)
    {
        var clock = Stopwatch.StartNew();
        SyntheticReviews.Split split = SyntheticReviews.Generate(rows);
        clock.Stop();
        double words = split.Train.Average(r => r.Text.Count(c => c == ' ') + 1.0);
        double characters = split.Train.Average(r => r.Text.Length);
        Console.WriteLine($"Generated {rows:N0} reviews in {clock.Elapsed.TotalSeconds:F2} s: {words:F1} words, {characters:F0} characters per review on average. " +
            "The first training reviews:");
        foreach (Review review in split.Train.Take(SampleReviews))
        {
            Console.WriteLine($"  [{(review.Label ? "positive" : "negative")}] {review.Text}");
        }

        Console.WriteLine();
    }

    /// <summary>The featurized data set as the children saw it; they must all have seen the same.</summary>
    private static void PrintData(List<TextRunResult> results)
    {
        List<TextRunResult> succeeded = results.Where(r => r.Failure is null).ToList();
        if (succeeded.Count == 0)
        {
            return;
        }

        TextRunResult first = succeeded[0];
        var table = new Table("text data", "value");
        table.Add("Rows (training / test)", $"{first.TrainRows:N0} / {first.TestRows:N0}, {first.PositiveRate:P1} of training rows positive");
        table.Add("Features (FeaturizeText defaults)", $"{first.FeatureCount:N0}: {first.WordFeatures:N0} words, {first.WordPairFeatures:N0} word pairs, " +
            $"{first.CharTrigramFeatures:N0} char trigrams");
        table.Add("Non-zero values", $"{first.NonZeroFraction:P3} of training cells, {first.NonZerosPerRow:F1} per row");
        table.Add("Text generation (per child)", string.Join(" / ", succeeded.Select(r => $"{r.GenerateSeconds:F2} s")));
        table.Add("Featurization: fit, featurize, cache (per child)", string.Join(" / ", succeeded.Select(r => $"{r.FeaturizeSeconds:F2} s")));
        bool same = succeeded.All(r => r.FeatureCount == first.FeatureCount && r.NonZeroFraction == first.NonZeroFraction && r.PositiveRate == first.PositiveRate);
        table.Add("Same data in every child", same ? "yes" : "NO: the children featurized different data");
        table.Print();
    }

    /// <summary>One row per trainer: fit seconds, seconds per epoch, peak working set and test metrics, or why it failed.</summary>
    private static void PrintTrainers(List<TextRunResult> results)
    {
        var table = new Table("trainer", "fit s", "s/epoch", "peak WS at fit end GB", "peak WS before fit GB", "peak WS after scoring GB", "accuracy", "AUC", "log-loss",
            "model MB (save s, load s)");
        foreach (TextRunResult r in results)
        {
            string name = r.Storage is null or "default" ? r.Trainer : $"{r.Trainer} ({r.Storage})";
            if (r.Failure is not null)
            {
                table.AddSpanning(name, $"failed: {r.Failure}");
                continue;
            }

            table.Add(name, $"{r.FitSeconds:F2}", r.SecondsPerEpoch is double s ? $"{s:F2}" : "-",
                TextTrainerRun.Gigabytes(r.PeakWorkingSetAfterFit), TextTrainerRun.Gigabytes(r.PeakWorkingSetBeforeFit), TextTrainerRun.Gigabytes(r.PeakWorkingSet),
                $"{r.Accuracy:F4}", $"{r.Auc:F4}", $"{r.LogLoss:F4}",
                r.ModelFileBytes is long bytes ? $"{bytes / 1e6:F1} ({r.SaveSeconds:F2}, {r.LoadSeconds:F2})" : "-");
        }

        table.Print();
        foreach (TextRunResult r in results.Where(r => r.Failure is null && r.Epochs is not null))
        {
            Console.WriteLine($"{r.Trainer}: {r.Epochs} epochs; Fit spent {r.SetupSeconds:F2} s outside the epochs (reading and preparing the data).");
        }

        Console.WriteLine("Peak WS: the child process's peak working set (PeakWorkingSet64) when Fit returns, before Fit, and after scoring the test rows.");
        Console.WriteLine("s/epoch: Backprop's median epoch, from the Elapsed times of its TrainingHistory.");
        Console.WriteLine("Accuracy, AUC and log-loss (in bits: ML.NET's evaluator uses log base 2) on the test rows.");
        Console.WriteLine("Model: the trainer's fitted transformer saved with mlContext.Model.Save (MB = 10^6 bytes), and loaded in a new MLContext.");
        Console.WriteLine();
    }
}
