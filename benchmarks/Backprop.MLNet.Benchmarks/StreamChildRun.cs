using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// One training run of the stream workload, in this process (<c>stream --child KIND --file F --caching C</c>, started by
/// <see cref="StreamBenchmark"/> as a child process, under a GC heap limit for the big part): opens the training view, fits
/// Backprop with the given DataCaching, evaluates it on the test rows, reads its memory figures, prints the trainer's log and
/// writes a <see cref="StreamRunResult"/> line. A failure (the trainer refusing data that does not fit, say) is reported in
/// the result line, not thrown.
/// </summary>
internal static class StreamChildRun
{
    /// <summary>The sources a child can train from.</summary>
    public static readonly string[] Kinds = ["idv", "csv", "fmnist-own", "fmnist-sorted", "fmnist-sorted-unshuffleable"];

    /// <summary>Runs <see cref="BenchmarkOptions.Child"/>.</summary>
    /// <param name="options">The command line; Child, ChildFile and Caching are set.</param>
    /// <returns>The exit code: 0 when training completed, 1 when it did not.</returns>
    public static int Run(BenchmarkOptions options)
    {
        string kind = options.Child ?? throw new ArgumentException("No child kind given.", nameof(options));
        string file = options.ChildFile ?? throw new ArgumentException("stream --child needs --file.", nameof(options));
        var log = new List<string>();
        var clock = new Stopwatch();
        var mlContext = new MLContext(seed: options.Seed);
        mlContext.Log += (_, e) =>
        {
            if (e.RawMessage.StartsWith("BackpropTrainer:", StringComparison.Ordinal))
            {
                string line = e.Kind == ChannelMessageKind.Info ? e.RawMessage : $"{e.Kind}: {e.RawMessage}";
                Console.WriteLine($"  [{clock.Elapsed.TotalSeconds,8:F2} s] {line}");
                if (!line.StartsWith("BackpropTrainer: epoch ", StringComparison.Ordinal))
                {
                    lock (log)
                    {
                        log.Add(line);
                    }
                }
            }
        };

        var result = new StreamRunResult
        {
            Source = kind,
            Caching = options.Caching.ToString(),
            Cpu = MachineInfo.CpuModel(),
            File = file,
            FileBytes = new FileInfo(file).Length,
            EpochsRequested = options.Epochs ?? 0,
            HeapHardLimitSetting = MemoryReadout.HeapHardLimitSetting(),
            GcAvailableBytes = MemoryReadout.GcAvailable(),
            LoadAverage = MemoryReadout.LoadAverage(),
        };
        Console.WriteLine($"Child {kind}, Caching = {options.Caching}, {MemoryReadout.HeapHardLimitVariable} = {result.HeapHardLimitSetting ?? "not set"}: " +
            MemoryReadout.DescribeGc());
        try
        {
            Train(options, mlContext, kind, file, clock, ref result);
        }
        catch (Exception e)
        {
            // "OutOfMemoryException", not "OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown."
            string message = e.Message.StartsWith("Exception of type", StringComparison.Ordinal) ? "" : $": {e.Message}";
            result = result with { Failure = e.GetType().Name + message, FitSeconds = clock.Elapsed.TotalSeconds };
            Console.WriteLine($"Training failed after {clock.Elapsed.TotalSeconds:F1} s: {e}");
        }

        result = result with
        {
            TrainerLog = log,
            PeakWorkingSet = MemoryReadout.PeakWorkingSet(),
            VmHwm = MemoryReadout.VmHwm(),
            LoadAverage = $"{result.LoadAverage} / {MemoryReadout.LoadAverage()}",
        };
        Console.WriteLine($"At the end: {MemoryReadout.DescribeGc()}");
        Console.WriteLine($"Peak working set {MemoryReadout.Show(result.PeakWorkingSet)} (PeakWorkingSet64), VmHWM {MemoryReadout.Show(result.VmHwm)}, " +
            $"VmRSS now {MemoryReadout.Show(MemoryReadout.VmRss())}.");
        Console.WriteLine(result.ToLine());
        return result.Failure is null ? 0 : 1;
    }

    /// <summary>Trains and evaluates, filling in <paramref name="result"/> as it goes (so that a failure keeps what was measured).</summary>
    private static void Train(BenchmarkOptions options, MLContext mlContext, string kind, string file, Stopwatch clock, ref StreamRunResult result)
    {
        bool dense = kind is "idv" or "csv";
        IDataView train = kind switch
        {
            "csv" => DenseFiles.LoadCsv(mlContext, file),
            "fmnist-sorted-unshuffleable" => FmnistFiles.Unshuffleable(mlContext, file),
            _ => mlContext.Data.LoadFromBinary(file),
        };
        var teacher = new TeacherData(StreamBenchmark.DataSeed);
        long testRows = dense ? StreamBenchmark.DenseTestRows : 0;
        IDataView test = dense
            ? teacher.View(mlContext, TeacherData.TestStream, testRows)
            : mlContext.Data.LoadFromBinary(options.ChildTestFile ?? throw new ArgumentException("stream --child fmnist-* needs --test-file."));
        long rows = train.GetRowCount() ?? StreamBenchmark.RowsOfFile(file);
        int epochs = options.Epochs ?? throw new ArgumentException("stream --child needs --epochs.");
        var recorder = new EpochRecorder();
        BackpropTrainer.Options trainerOptions = dense
            ? new BackpropTrainer.Options
            {
                HiddenLayerSizes = [StreamBenchmark.DenseHidden],
                MaximumNumberOfEpochs = epochs,
                Seed = options.Seed,
                NumberOfThreads = options.Threads,
                Progress = recorder,
            }
            : FmnistBenchmark.TrainerOptions(options, epochs, recorder);
        trainerOptions.Caching = options.Caching;
        trainerOptions.Tolerance = 0; // with NumberOfEpochsWithoutImprovement = epochs, every epoch runs
        trainerOptions.NumberOfEpochsWithoutImprovement = epochs;
        string? settings = options.BackpropSettings.Count > 0 ? BackpropSettings.Apply(trainerOptions, options.BackpropSettings) : null;
        result = result with
        {
            Rows = rows,
            CanShuffle = train.CanShuffle,
            Settings = settings,
            PeakWorkingSetBeforeFit = MemoryReadout.PeakWorkingSet(),
        };
        Console.WriteLine($"Training on {file} ({rows:N0} rows, CanShuffle {train.CanShuffle}), {epochs} epochs, Caching = {trainerOptions.Caching}" +
            (settings is null ? "" : $", {settings}"));

        IEstimator<ITransformer> trainer = dense
            ? mlContext.BinaryClassification.Trainers.Backprop(trainerOptions)
            : mlContext.MulticlassClassification.Trainers.Backprop(trainerOptions);
        GC.Collect();
        clock.Start();
        var model = (BackpropTransformer)trainer.Fit(train);
        double fitSeconds = clock.Elapsed.TotalSeconds;
        clock.Stop();
        TrainingHistory history = model.Model.TrainingHistory;
        Console.WriteLine($"Fit returned after {fitSeconds:F2} s: {history.Count} epochs, stopped: {history.StopReason}.");

        IDataView scored = model.Transform(test);
        double accuracy = dense
            ? mlContext.BinaryClassification.Evaluate(scored).Accuracy
            : mlContext.MulticlassClassification.Evaluate(scored).MicroAccuracy;
        result = result with
        {
            EpochSeconds = recorder.EpochSeconds(),
            FitSeconds = fitSeconds,
            SetupSeconds = history.Count > 0 ? fitSeconds - history[^1].Elapsed.TotalSeconds : null,
            FinalLoss = history.Count > 0 ? history[^1].TrainingLoss : null,
            StopReason = history.StopReason.ToString(),
            TestRows = test.GetRowCount() ?? testRows,
            TestAccuracy = accuracy,
        };
    }
}
