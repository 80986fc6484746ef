using System.Globalization;
using Microsoft.ML;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The stream workload's fmnist part: FMNIST-MLP (the fmnist workload's network and options) trained from Fashion-MNIST
/// <c>.idv</c> files in the data's own order and sorted by class, in memory and streaming with the default shuffle buffer, and
/// streaming from the class-sorted rows through a view that cannot shuffle (so the shuffle buffer alone mixes them); mean
/// epoch time, its ratio to in-memory training on the same file, and test accuracy.
/// </summary>
internal static class StreamFmnistPart
{
    /// <summary>One training run: its data order, source kind and caching.</summary>
    private sealed record Case(string Order, string Kind, DataCaching Caching, int? ShuffleBufferSize = null);

    /// <summary>The buffer of the case that holds less than the data: a third of the rows.</summary>
    private const int SmallBuffer = 20_000;

    /// <summary>Writes (or finds) the files, checks them, trains every run in a child and prints the table.</summary>
    /// <param name="options">The command line.</param>
    public static void Run(BenchmarkOptions options)
    {
        int epochs = options.Epochs ?? FmnistBenchmark.DefaultEpochs;
        Console.WriteLine($"== stream fmnist: Fashion-MNIST from {options.DataDirectory} as .idv files in {options.StreamDataDirectory}, FMNIST-MLP " +
            $"(784-256-128-10 ReLU, Adam, batch 128), {epochs} epochs, training seeds {options.Seed} to {options.Seed + options.Repeats - 1} (one per round); in memory " +
            "against streaming ==");
        var mlContext = new MLContext(seed: 0);
        FmnistFiles.Files files = FmnistFiles.Ensure(mlContext, options.DataDirectory, options.StreamDataDirectory);
        if (files.IsSynthetic)
        {
            Console.WriteLine("WARNING: SYNTHETIC DATA (Fashion-MNIST not found; install Debian's dataset-fashion-mnist). Timings have the real shape; the accuracy is not Fashion-MNIST's.");
        }

        CheckFiles(mlContext, files);
        Case[] runs =
        [
            new("own", "fmnist-own", DataCaching.Memory),
            new("own", "fmnist-own", DataCaching.Streaming),
            new("by class", "fmnist-sorted", DataCaching.Memory),
            new("by class", "fmnist-sorted", DataCaching.Streaming),
            new("by class", "fmnist-sorted-unshuffleable", DataCaching.Streaming),
            new("by class", "fmnist-sorted", DataCaching.Streaming, SmallBuffer),
            new("by class", "fmnist-sorted-unshuffleable", DataCaching.Streaming, SmallBuffer),
            new("own", "fmnist-own", DataCaching.Disk),
            new("by class", "fmnist-sorted", DataCaching.Disk),
            new("by class", "fmnist-sorted", DataCaching.Disk, SmallBuffer),
        ];
        CaseRuns[] cases = CaseRuns.TakeTurns(options.Repeats, runs.Select(run => (Func<int, StreamRunResult>)(round => StreamBenchmark.RunChild(options, run.Kind,
            run.Kind == "fmnist-own" ? files.Own.Path : files.Sorted.Path, run.Caching, epochs, testFile: files.Test.Path,
            settings: run.ShuffleBufferSize is int k ? [$"ShuffleBufferSize={k}"] : null, seedOffset: round))).ToList());

        var table = new Table("order", "source", "can shuffle", "caching", "shuffle buffer", "runs", "epoch 1 s", "mean later epochs s", "min–max", "× in memory", "fit s",
            "test acc", "Δ acc points", "peak WS GB");
        for (int i = 0; i < runs.Length; i++)
        {
            (Case run, CaseRuns c) = (runs[i], cases[i]);

            // The in-memory case on the same order is the reference of both comparisons.
            CaseRuns reference = cases[Array.FindIndex(runs, x => x.Order == run.Order && x.Caching == DataCaching.Memory)];
            string ratio = c.MeanLaterEpochs is double s && reference.MeanLaterEpochs is double m ? $"{s / m:F2}" : "-";
            string delta = c.Accuracy is double a && reference.Accuracy is double b ? (100 * (a - b)).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) : "-";
            table.Add(run.Order, run.Kind == "fmnist-sorted-unshuffleable" ? ".idv via CreateEnumerable + LoadFromEnumerable" : ".idv",
                c.Completed.Count > 0 ? (c.First.CanShuffle ? "yes" : "no") : "-", run.Caching.ToString(),
                run.Caching == DataCaching.Memory ? "-" : run.ShuffleBufferSize is int k ? $"{k:N0} rows" : "default", c.Count, StreamBenchmark.Seconds(c.FirstEpoch),
                StreamBenchmark.Seconds(c.MeanLaterEpochs), c.LaterEpochsSpread, ratio, StreamBenchmark.Seconds(c.Fit), c.AccuracyText, delta,
                StreamBenchmark.Gigabytes(c.PeakWorkingSet));
        }

        table.Print();
        Console.WriteLine($"Each figure is the median over the runs (test accuracy: the mean over the rounds' seeds). × in memory: the mean epoch time (epochs 2 to {epochs}; epoch 1 " +
            "carries the JIT compilation) over that of Caching = Memory on the same order; Δ acc points: test accuracy minus that case's, in percentage " +
            "points. Targets: streaming ≤ 1.5× in memory, accuracy within 0.5 point.");
        StreamBenchmark.PrintNotes(cases.SelectMany(c => c.Runs));
    }

    /// <summary>Checks the files' rows and labels: the same counts in both training orders, sorted where it should be.</summary>
    private static void CheckFiles(MLContext mlContext, FmnistFiles.Files files)
    {
        var table = new Table("file", "rows", "size MB", "written in s", "reused", "labels", "sorted by class");
        (long[] Counts, bool Sorted) own = default;
        foreach ((WrittenOnce.Manifest file, string name) in new[] { (files.Own, "own"), (files.Sorted, "sorted"), (files.Test, "test"), (files.Sorted, "unshuffleable") })
        {
            IDataView view = name == "unshuffleable" ? FmnistFiles.Unshuffleable(mlContext, file.Path) : mlContext.Data.LoadFromBinary(file.Path);
            (long[] counts, bool sorted) = FmnistFiles.Labels(view);
            long rows = counts.Sum();
            own = name == "own" ? (counts, sorted) : own;
            bool sameAsOwn = name is "sorted" or "unshuffleable" ? counts.SequenceEqual(own.Counts) : true;
            if (counts[0] != 0 || rows != file.Rows || !sameAsOwn || sorted != (name is "sorted" or "unshuffleable"))
            {
                throw new InvalidDataException($"{file.Path} ({name}): {rows} rows ({file.Rows} written), labels {FmnistFiles.Show(counts)}, sorted {sorted}, " +
                    $"same classes as the own order {sameAsOwn}. Delete it (and its .done file) to write it again.");
            }

            table.Add(name == "unshuffleable" ? $"{Path.GetFileName(file.Path)} via LoadFromEnumerable (CanShuffle {view.CanShuffle})" : Path.GetFileName(file.Path),
                $"{rows:N0}", (file.Bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture), $"{file.Seconds:F1}", file.Reused ? "yes" : "no",
                FmnistFiles.Show(counts), sorted ? "yes" : "no");
        }

        table.Print();
    }
}
