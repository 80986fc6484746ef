using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The stream workload: training with <c>Caching = DataCaching.Streaming</c>, which reads the minibatches from the data
/// view's cursor every epoch instead of holding the rows. Three parts, each run as child processes so that every
/// measurement's peak working set is its own: <c>big</c> (a synthetic dense data set 8× larger than the 1 GiB GC heap its
/// children may use, from an <c>.idv</c> file and from a CSV), <c>ratio</c> (epoch times streaming against in memory on data
/// that fits) and <c>fmnist</c> (Fashion-MNIST in its own order and sorted by class: epoch time and test accuracy, streaming
/// against in memory). The data files are written once under <c>--data-dir</c> and reused.
/// </summary>
internal static class StreamBenchmark
{
    /// <summary>The seed of the synthetic data (the teacher and every row); <c>--seed</c> is the training seed.</summary>
    public const ulong DataSeed = 1;

    /// <summary>The hidden layer of the network trained on the synthetic data.</summary>
    public const int DenseHidden = 64;

    /// <summary>Test rows of the synthetic data (its test stream, made lazily in the child).</summary>
    public const long DenseTestRows = 100_000;

    private const int BigDefaultEpochs = 2;
    private const int RatioDefaultEpochs = 5;
    private const long CheckedRows = 1_000;

    /// <summary>Runs the parts asked for, or one child run (<c>--child</c>).</summary>
    /// <param name="options">The command line.</param>
    /// <returns>The exit code.</returns>
    public static int Run(BenchmarkOptions options)
    {
        if (options.Child is not null)
        {
            return StreamChildRun.Run(options);
        }

        Directory.CreateDirectory(options.StreamDataDirectory);
        if (options.Part is "big" or "all")
        {
            Big(options);
        }

        if (options.Part is "ratio" or "all")
        {
            Ratio(options);
        }

        if (options.Part is "fmnist" or "all")
        {
            StreamFmnistPart.Run(options);
        }

        return 0;
    }

    /// <summary>The rows a file written by <see cref="WrittenOnce"/> holds, from its manifest.</summary>
    /// <param name="file">The data file.</param>
    /// <returns>The rows.</returns>
    public static long RowsOfFile(string file) =>
        JsonSerializer.Deserialize<WrittenOnce.Manifest>(File.ReadAllText(file + ".done"))?.Rows
        ?? throw new InvalidDataException($"{file}.done is not a manifest.");

    /// <summary>
    /// Trains in a child process and returns its result (or, when it left none, why): its output is echoed, indented, as it
    /// arrives, but for the result line.
    /// </summary>
    /// <param name="options">The parent's command line: seed, threads and <c>--backprop</c> settings are passed on.</param>
    /// <param name="kind">The child's source (<see cref="StreamChildRun.Kinds"/>).</param>
    /// <param name="file">The training file.</param>
    /// <param name="caching">The DataCaching to train with.</param>
    /// <param name="epochs">The epochs.</param>
    /// <param name="testFile">The test file (Fashion-MNIST), or null.</param>
    /// <param name="heapLimitBytes">The GC heap hard limit to start the child under, or null for none.</param>
    /// <param name="settings">More trainer settings (<c>Name=value</c>) for this run, after the command line's.</param>
    /// <param name="seedOffset">Added to the command line's seed (a round's own seed).</param>
    /// <returns>The child's result.</returns>
    public static StreamRunResult RunChild(BenchmarkOptions options, string kind, string file, DataCaching caching, int epochs,
        string? testFile = null, long? heapLimitBytes = null, IReadOnlyList<string>? settings = null, int seedOffset = 0)
    {
        List<string> arguments = ["stream", "--child", kind, "--file", file, "--caching", caching.ToString(),
            "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--seed", (options.Seed + seedOffset).ToString(CultureInfo.InvariantCulture)];
        if (testFile is not null)
        {
            arguments.AddRange(["--test-file", testFile]);
        }

        if (options.Threads is int threads)
        {
            arguments.AddRange(["--threads", threads.ToString(CultureInfo.InvariantCulture)]);
        }

        foreach (string setting in options.BackpropSettings.Concat(settings ?? []))
        {
            arguments.AddRange(["--backprop", setting]);
        }

        var environment = new Dictionary<string, string>();
        if (heapLimitBytes is long limit)
        {
            environment[MemoryReadout.HeapHardLimitVariable] = MemoryReadout.HeapHardLimitValue(limit);
        }

        Console.WriteLine($"Child: {string.Concat(environment.Select(v => $"{v.Key}={v.Value} "))}{string.Join(' ', arguments)}");
        ChildProcess.Outcome outcome = ChildProcess.Run(arguments, environment, line =>
        {
            if (!line.StartsWith(StreamRunResult.LinePrefix, StringComparison.Ordinal))
            {
                Console.WriteLine("  | " + line);
            }
        });
        StreamRunResult result = outcome.StandardOutput.Select(StreamRunResult.FromLine).LastOrDefault(r => r is not null)
            ?? new StreamRunResult { Source = kind, Caching = caching.ToString(), File = file, Failure = ChildProcess.Reason(outcome) };
        Console.WriteLine($"  {(result.Failure is null ? "done" : "FAILED")} in {outcome.Seconds:F1} s (exit code {outcome.ExitCode})");
        Console.WriteLine();
        return result;
    }

    /// <summary>Bytes as gigabytes (10⁹), two decimals.</summary>
    /// <param name="bytes">A byte count, or null.</param>
    /// <returns>The text, or "-".</returns>
    public static string Gigabytes(long? bytes) => bytes is long b ? (b / 1e9).ToString("F2", CultureInfo.InvariantCulture) : "-";

    /// <summary>Seconds with two decimals, or "-".</summary>
    /// <param name="seconds">The seconds, or null.</param>
    /// <returns>The text.</returns>
    public static string Seconds(double? seconds) => seconds is double s ? s.ToString("F2", CultureInfo.InvariantCulture) : "-";

    /// <summary>
    /// Prints, below a table, each failed run's reason and every run's trainer log (what it did with the data), but for the
    /// warning that the epoch limit was reached (every run here stops there by design).
    /// </summary>
    /// <param name="results">The runs, in table order.</param>
    public static void PrintNotes(IEnumerable<StreamRunResult> results)
    {
        foreach (StreamRunResult r in results)
        {
            string name = $"{r.Source}, Caching = {r.Caching}";
            if (r.Failure is not null)
            {
                Console.WriteLine($"{name}: FAILED: {r.Failure}");
            }

            Console.WriteLine($"{name}: load average (1, 5, 15 min) at start / end {r.LoadAverage}");

            foreach (string line in r.TrainerLog.Where(l => !l.Contains("reached MaximumNumberOfEpochs", StringComparison.Ordinal)))
            {
                Console.WriteLine($"{name}: {line}");
            }
        }

        Console.WriteLine();
    }

    /// <summary>The big part: write the data once, then train from the .idv and from the CSV under the heap limit.</summary>
    private static void Big(BenchmarkOptions options)
    {
        int epochs = options.Epochs ?? BigDefaultEpochs;
        long limit = options.HeapLimitMebibytes * (1L << 20);
        Console.WriteLine($"== stream big: {options.BigRows:N0} synthetic rows × {TeacherData.Features} float32 features " +
            $"({DenseFiles.FloatBytes(options.BigRows) / (double)(1L << 30):F2} GiB of features, {DenseFiles.FloatBytes(options.BigRows) / (double)limit:F1}× the heap limit), " +
            $"{TeacherData.Features}-{DenseHidden}-1 ReLU, Adam, {epochs} epochs, Caching = {options.Caching}, each run in a child with " +
            $"{MemoryReadout.HeapHardLimitVariable}={MemoryReadout.HeapHardLimitValue(limit)} ({options.HeapLimitMebibytes} MiB); data in {options.StreamDataDirectory} ==");
        (WrittenOnce.Manifest idv, WrittenOnce.Manifest? csv) = DenseData(options, options.BigRows, withCsv: true);
        var results = new List<StreamRunResult>
        {
            RunChild(options, "idv", idv.Path, options.Caching, epochs, heapLimitBytes: limit),
            RunChild(options, "csv", csv!.Path, options.Caching, epochs, heapLimitBytes: limit),
        };

        var table = new Table("source", "caching", "GC limit GiB", "file GB", "rows", "epochs", "s per epoch", "rows/s", "fit s", "peak WS GB",
            "VmHWM GB", "test acc", "completed");
        foreach (StreamRunResult r in results)
        {
            table.Add(r.Source, r.Caching, (r.GcAvailableBytes / (double)(1L << 30)).ToString("F2", CultureInfo.InvariantCulture), Gigabytes(r.FileBytes),
                $"{r.Rows:N0}", $"{r.EpochSeconds.Length}/{r.EpochsRequested}", string.Join(" ", r.EpochSeconds.Select(s => Seconds(s))),
                r.RowsPerSecond is double rate ? $"{rate:N0}" : "-", Seconds(r.FitSeconds), Gigabytes(r.PeakWorkingSet), Gigabytes(r.VmHwm),
                r.TestAccuracy is double a ? $"{a:F4}" : "-", r.Failure is null ? "yes" : "NO");
        }

        table.Print();
        Console.WriteLine("Target: training completes with the peak working set (PeakWorkingSet64; VmHWM is the kernel's own figure) at most 1.2 GB.");
        PrintNotes(results);
    }

    /// <summary>The ratio part: the same .idv, trained in memory and streaming, taking turns; mean epoch times compared.</summary>
    private static void Ratio(BenchmarkOptions options)
    {
        int epochs = options.Epochs ?? RatioDefaultEpochs;
        Console.WriteLine($"== stream ratio: {options.RatioRows:N0} synthetic rows × {TeacherData.Features} features from one .idv, " +
            $"{TeacherData.Features}-{DenseHidden}-1 ReLU, Adam, {epochs} epochs, Caching = Memory, Streaming and Disk taking turns, {options.Repeats} run(s) each; " +
            $"no heap limit; data in {options.StreamDataDirectory} ==");
        (WrittenOnce.Manifest idv, _) = DenseData(options, options.RatioRows, withCsv: false);
        CaseRuns[] cases = CaseRuns.TakeTurns(options.Repeats,
        [
            () => RunChild(options, "idv", idv.Path, DataCaching.Memory, epochs),
            () => RunChild(options, "idv", idv.Path, DataCaching.Streaming, epochs),
            () => RunChild(options, "idv", idv.Path, DataCaching.Disk, epochs),
        ]);

        var table = new Table("caching", "runs", "epoch 1 s", "mean later epochs s", "min–max", "rows/s", "setup s", "fit s", "peak WS GB", "test acc");
        foreach (CaseRuns c in cases)
        {
            table.Add(c.First.Caching, c.Count, Seconds(c.FirstEpoch), Seconds(c.MeanLaterEpochs), c.LaterEpochsSpread,
                c.RowsPerSecond is double rate ? $"{rate:N0}" : "-", Seconds(c.Setup), Seconds(c.Fit), Gigabytes(c.PeakWorkingSet), c.AccuracyText);
        }

        table.Print();
        CaseRuns memory = cases[0];
        foreach (CaseRuns streaming in cases.Skip(1))
        {
            if (memory.MeanLaterEpochs is double m && streaming.MeanLaterEpochs is double s)
            {
                Console.WriteLine($"{streaming.First.Caching} / Memory: mean epoch time of epochs 2 to {epochs} {s / m:F2}; of all epochs {streaming.MeanAllEpochs / memory.MeanAllEpochs:F2}; " +
                    $"Fit (with Memory's one reading pass) {streaming.Fit / memory.Fit:F2}.");
            }
        }

        Console.WriteLine("Each figure is the median over the runs. Epoch 1 is left out of the mean: it carries the JIT compilation. An epoch's time is the " +
            "difference of the trainer's EpochReport.Elapsed; Streaming epochs include reading the .idv, Disk epochs reading the temporary file (Disk " +
            "writes it in setup, in its one reading pass), in-memory ones read nothing (Memory reads the rows once, in setup).");
        PrintNotes(cases.SelectMany(c => c.Runs));
    }

    /// <summary>Writes (or finds) the synthetic data's .idv and, when asked, CSV; checks them; prints a table of the files.</summary>
    private static (WrittenOnce.Manifest Idv, WrittenOnce.Manifest? Csv) DenseData(BenchmarkOptions options, long rows, bool withCsv)
    {
        var mlContext = new MLContext(seed: 0);
        var teacher = new TeacherData(DataSeed);
        WrittenOnce.Manifest idv = DenseFiles.Idv(mlContext, teacher, rows, options.StreamDataDirectory);
        WrittenOnce.Manifest? csv = withCsv ? DenseFiles.Csv(teacher, rows, options.StreamDataDirectory) : null;

        var table = new Table("data file", "rows", "size GB", "size GiB", "float32 features GiB", "written in s", "reused", "read back");
        foreach (WrittenOnce.Manifest file in new[] { idv, csv }.OfType<WrittenOnce.Manifest>())
        {
            IDataView view = file == csv ? DenseFiles.LoadCsv(mlContext, file.Path) : mlContext.Data.LoadFromBinary(file.Path);
            var clock = Stopwatch.StartNew();
            (long read, long mismatches, double positives) = DenseFiles.Verify(view, teacher, options.VerifyData ? null : CheckedRows);
            string check = options.VerifyData
                ? $"all {read:N0} rows, {mismatches:N0} differ from the generator ({clock.Elapsed.TotalSeconds:F0} s; {positives:P1} positive)"
                : $"first {read:N0} rows, {mismatches:N0} differ from the generator";
            if (mismatches != 0 || (options.VerifyData && read != rows))
            {
                throw new InvalidDataException($"{file.Path} is not what the generator makes: {check}. Delete it (and its .done file) to write it again.");
            }

            table.Add(Path.GetFileName(file.Path), $"{file.Rows:N0}", Gigabytes(file.Bytes), $"{file.Bytes / (double)(1L << 30):F2}",
                $"{DenseFiles.FloatBytes(file.Rows) / (double)(1L << 30):F2}", $"{file.Seconds:F1}", file.Reused ? $"yes (written {file.WrittenUtc:yyyy-MM-dd HH:mm} UTC)" : "no", check);
        }

        table.Print();
        Console.WriteLine($"This process's peak working set so far: {Gigabytes(MemoryReadout.PeakWorkingSet())} GB (the writers hold a block of rows " +
            "at a time, never the data set).");
        (double positive, double teacherAccuracy) = TestRows(teacher);
        Console.WriteLine($"Test rows ({DenseTestRows:N0}, another stream of the same generator): {positive:P1} positive; the noiseless teacher's own accuracy " +
            $"(the best a model can reach) {teacherAccuracy:F4}.");
        Console.WriteLine();
        return (idv, csv);
    }

    /// <summary>The test rows' positive fraction, and how often the label agrees with the teacher's answer without noise.</summary>
    private static (double Positive, double TeacherAccuracy) TestRows(TeacherData teacher)
    {
        var features = new float[TeacherData.Features];
        long positive = 0, agree = 0;
        for (long i = 0; i < DenseTestRows; i++)
        {
            bool label = teacher.Row(TeacherData.TestStream, i, features, out bool teacherLabel);
            positive += label ? 1 : 0;
            agree += label == teacherLabel ? 1 : 0;
        }

        return (positive / (double)DenseTestRows, agree / (double)DenseTestRows);
    }
}
