using System.Diagnostics;
using Backprop.MLNet.Engine.Kernels;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The reference workload FMNIST-MLP: Fashion-MNIST (60,000 training rows, 10,000 test rows, pixels / 255),
/// a 784-256-128-10 network with ReLU, softmax + cross-entropy, Adam (1e-3, 0.9, 0.999, 1e-8), batch 128,
/// shuffled, no L2, 5 epochs, trained, evaluated and scored through the public ML.NET API.
/// </summary>
internal static class FmnistBenchmark
{
    private static readonly int[] Hidden = [256, 128];
    private const int BatchSize = 128;
    /// <summary>The epochs FMNIST-MLP trains for unless <c>--epochs</c> says otherwise.</summary>
    internal const int DefaultEpochs = 5;
    /// <summary>
    /// Timed scoring passes. A pass takes ~15 ms here, so 10 passes spanned 0.15 s and one of this host's busy spells
    /// (which slow single passes 1.3–2×, both threads scoring) could cover most of them; 30 span ~0.5 s, and the table
    /// shows the slowest tenth beside the median, so that such a spell is seen rather than hidden.
    /// </summary>
    private const int ScoringRepeats = 30;
    private const int LatencyWarmupCalls = 100_000;

    /// <summary>Runs the workload and prints its table.</summary>
    /// <param name="options">The command line.</param>
    public static void Run(BenchmarkOptions options)
    {
        int epochs = options.Epochs ?? DefaultEpochs;
        Console.WriteLine($"== fmnist: FMNIST-MLP, {FashionMnist.Features}-{string.Join("-", Hidden)}-{FashionMnist.Classes} ReLU, softmax + cross-entropy, " +
            $"Adam (lr 1e-3, 0.9/0.999/1e-8), batch {BatchSize}, shuffled, L2 0, float32, {epochs} epoch{(epochs == 1 ? "" : "s")}, threads {options.EffectiveThreads} ==");

        var loadClock = Stopwatch.StartNew();
        FashionMnist.Data data = FashionMnist.Load(options.DataDirectory);
        loadClock.Stop();
        Console.WriteLine($"Data: {data.Source}: {data.Train.Rows:N0} training rows, {data.Test.Rows:N0} test rows (read in {loadClock.Elapsed.TotalSeconds:F1} s).");
        if (data.IsSynthetic)
        {
            Console.WriteLine("WARNING: SYNTHETIC DATA. Timings have the real shape; the accuracy is not Fashion-MNIST's.");
        }

        Console.WriteLine();

        var mlContext = new MLContext(seed: 0);
        IDataView train = data.Train.ToDataView(mlContext);
        IDataView test = data.Test.ToDataView(mlContext);
        if (options.FromIdv)
        {
            // The same rows, read from binary .idv files the way a user who saved the data reads them (their reading pass is
            // longer, and it runs ML.NET's file-reading code instead of an in-memory view's).
            FmnistFiles.Files files = FmnistFiles.Ensure(mlContext, options.DataDirectory, options.StreamDataDirectory);
            train = mlContext.Data.LoadFromBinary(files.Own.Path);
            test = mlContext.Data.LoadFromBinary(files.Test.Path);
            Console.WriteLine($"Training and test rows read from {files.Own.Path} and {files.Test.Path}.");
        }
        CheckEveryLabelPresent(train, data.Train.Rows);
        CheckEveryLabelPresent(test, data.Test.Rows);
        var recorder = new EpochRecorder();
        BackpropTrainer.Options trainerOptions = TrainerOptions(options, epochs, recorder);
        if (options.BackpropSettings.Count > 0)
        {
            Console.WriteLine($"Options set: {BackpropSettings.Apply(trainerOptions, options.BackpropSettings)}");
        }

        BackpropTrainer trainer = mlContext.MulticlassClassification.Trainers.Backprop(trainerOptions);

        // Training: the wall clock of Fit, the per-epoch times the trainer reports, memory.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long? faultsBefore = MemoryReadout.MinorFaults();
        var fitClock = Stopwatch.StartNew();
        BackpropTransformer model = trainer.Fit(train);
        fitClock.Stop();
        long? faults = MemoryReadout.MinorFaults() - faultsBefore;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long peakWorkingSet = process.PeakWorkingSet64;

        double[] epochSeconds = recorder.EpochSeconds();
        double median = Stats.Median(epochSeconds);

        // FLOP per epoch: every row goes through each layer's forward product A·Wᵀ and the two backward
        // products Δ·W and Δᵀ·A, 2·in·out each, so 6·N·Σ(in·out). The engine skips the first layer's Δ·W
        // (no gradient is needed with respect to the data), so the executed count is 2·N·784·256 lower.
        int[] sizes = [FashionMnist.Features, .. trainerOptions.HiddenLayerSizes, FashionMnist.Classes]; // --backprop may set them
        long sumInOut = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            sumInOut += (long)sizes[l] * sizes[l + 1];
        }

        double flopPerEpoch = 6.0 * data.Train.Rows * sumInOut;

        // The machine's own limit, measured after training in the same run: every rate below is also given as its share.
        MachineGemm.Rate machine = MachineGemm.Measure(options.EffectiveThreads);
        double executedFlopPerEpoch = flopPerEpoch - (2.0 * data.Train.Rows * sizes[0] * sizes[1]);

        // Accuracy with ML.NET's evaluator.
        MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));

        // Batch scoring: Transform and a cursor reading Score and PredictedLabel over every test row, timed once the JIT has
        // settled (SteadyState): best and median of the timed passes.
        (int warmups, int quiet) = SteadyState.WarmUp(() => CheckRows(ScoreAll(model, test, out long rows), rows, data.Test.Rows));
        double checksum = 0;
        var scoringSeconds = new double[ScoringRepeats];
        for (int repeat = 0; repeat < ScoringRepeats; repeat++)
        {
            var clock = Stopwatch.StartNew();
            double sum = ScoreAll(model, test, out long rowsScored);
            clock.Stop();
            CheckRows(sum, rowsScored, data.Test.Rows);
            scoringSeconds[repeat] = clock.Elapsed.TotalSeconds;
            checksum += sum;
        }

        double bestScoringSeconds = scoringSeconds.Min(), medianScoringSeconds = Stats.Median(scoringSeconds);

        // Single-row latency through a PredictionEngine.
        double[] latencies = PredictionLatencies(mlContext, model, data.Test, options.LatencyCalls, out double latencyChecksum);

        var table = new Table("FMNIST-MLP" + (data.IsSynthetic ? " (SYNTHETIC DATA)" : ""), "value");
        table.Add("Epochs run", $"{epochSeconds.Length} of {epochs}");
        table.Add("Seconds/epoch, median", $"{median:F3}");
        table.Add("Seconds/epoch, min - max", $"{epochSeconds.Min():F3} - {epochSeconds.Max():F3}");
        table.Add("Seconds per epoch, in order", string.Join(" ", epochSeconds.Select(s => s.ToString("F3"))));
        table.Add("First epoch / median epoch", trainerOptions.Solver == Solver.Lbfgs
            ? $"{epochSeconds[0] / median:F2}  (L-BFGS: the first iteration evaluates the loss at the start and at the step, later ones usually once; half the ratio: {epochSeconds[0] / median / 2:F2})"
            : $"{epochSeconds[0] / median:F2}  (issue 13's target: at most 1.20)");
        table.Add("Fit wall clock (incl. reading the IDataView)", $"{fitClock.Elapsed.TotalSeconds:F2} s");
        table.Add("FLOP/epoch = 6·N·Σ(in·out)", $"6·{data.Train.Rows}·{sumInOut} = {flopPerEpoch:0.000e0}");
        table.Add("Machine sgemm GFLOP/s (this run)", $"{machine.Gflops:F1}  ({machine.Source})");
        table.Add("GFLOP/s (median epoch)", $"{flopPerEpoch / median / 1e9:F1}  ({flopPerEpoch / median / 1e9 / machine.Gflops:P0} of the machine's sgemm)");
        table.Add("GFLOP/s, executed FLOP (no layer-1 Δ·W)", $"{executedFlopPerEpoch / median / 1e9:F1}  ({executedFlopPerEpoch:0.000e0} FLOP/epoch; {executedFlopPerEpoch / median / 1e9 / machine.Gflops:P0} of the machine's sgemm)");
        table.Add("Final training loss", $"{recorder.Reports[^1].TrainingLoss:F4}");
        table.Add("Test accuracy (micro)", $"{metrics.MicroAccuracy:F4}");
        table.Add("Test log loss", $"{metrics.LogLoss:F4}");
        table.Add($"Batch scoring rows/s, best of {ScoringRepeats}", $"{data.Test.Rows / bestScoringSeconds:N0}  ({bestScoringSeconds * 1e3:F1} ms for {data.Test.Rows:N0} rows)");
        table.Add($"Batch scoring rows/s, median of {ScoringRepeats}", $"{data.Test.Rows / medianScoringSeconds:N0}  ({medianScoringSeconds * 1e3:F1} ms; after {warmups} untimed passes, the last {quiet} compiling nothing new)");
        // The forward pass costs 2·Σ(in·out) FLOP a row: at the machine's sgemm rate that bounds scoring.
        double scoringBound = machine.Gflops * 1e9 / (2.0 * sumInOut);
        table.Add("Batch scoring bound at the machine's sgemm", $"{scoringBound:N0} rows/s; the median above is {data.Test.Rows / medianScoringSeconds / scoringBound:P0} of it");
        double slowestTenth = Stats.Quantile(scoringSeconds, 0.9);
        table.Add("Batch scoring rows/s, slowest tenth of passes", $"{data.Test.Rows / slowestTenth:N0}  ({slowestTenth * 1e3:F1} ms; {data.Test.Rows / slowestTenth / scoringBound:P0} of the bound; " +
            $"{scoringSeconds.Count(s => data.Test.Rows / s >= 0.85 * scoringBound)} of {ScoringRepeats} passes at 85 % of it or more)");
        table.Add("PredictionEngine.Predict latency, median", $"{Stats.Median(latencies):F2} µs");
        table.Add("One row alone (chosen by timing both)", model.Model.Predictor.OneRow.KeepsRowsOnCaller switch
        {
            true => "kept on the calling thread",
            false => $"split over {model.Model.ScoringThreads} threads",
            null => $"split over {model.Model.ScoringThreads} threads (no choice made: one thread allowed, or tuning off)",
        });
        table.Add("PredictionEngine.Predict latency, p90 / p99", $"{Stats.Quantile(latencies, 0.9):F2} / {Stats.Quantile(latencies, 0.99):F2} µs  ({latencies.Length:N0} calls after {LatencyWarmupCalls:N0} untimed)");
        table.Add("Peak working set (process, after training)", Stats.Mebibytes(peakWorkingSet));
        table.Add("Allocated during Fit", Stats.Mebibytes(allocated));
        table.Add("Minor page faults during Fit", faults is long f ? $"{f:N0}  (transparent huge pages: {MemoryReadout.TransparentHugePages()})" : "-");
        table.Add("Kernel tuner", KernelTuner.Enabled ? $"on, {KernelTuner.Choices.Count} size classes tuned in {KernelTuner.SpentMilliseconds:F1} ms (below)" : $"off ({KernelTuner.EnvironmentVariable}): default shapes");
        table.Print();
        foreach (string choice in KernelTuner.Choices)
        {
            Console.WriteLine($"  tuner: {choice}");
        }

        Console.WriteLine($"Note: epoch 1 includes whatever compiling is left when training starts. Input data held in memory: {Stats.Mebibytes(4L * FashionMnist.Features * (data.Train.Rows + data.Test.Rows))} " +
            $"of float features. (checksums {checksum:G6} {latencyChecksum:G6})");
        Console.WriteLine();
    }

    /// <summary>FMNIST-MLP's trainer options (also the stream workload's for Fashion-MNIST).</summary>
    /// <param name="options">The command line: seed and threads.</param>
    /// <param name="epochs">MaximumNumberOfEpochs.</param>
    /// <param name="progress">Receives the epoch reports.</param>
    /// <returns>New options.</returns>
    internal static BackpropTrainer.Options TrainerOptions(BenchmarkOptions options, int epochs, IProgress<EpochReport> progress) => new()
    {
        HiddenLayerSizes = [.. Hidden],
        Activation = Activation.Relu,
        Solver = Solver.Adam,
        LearningRate = 1e-3,
        Beta1 = 0.9,
        Beta2 = 0.999,
        Epsilon = 1e-8,
        L2Regularization = 0,
        BatchSize = BatchSize,
        Shuffle = true,
        MaximumNumberOfEpochs = epochs,
        Tolerance = 0,
        Seed = options.Seed,
        NumberOfThreads = options.Threads,
        Progress = progress,
    };

    /// <summary>
    /// Guards the data view: every row must reach the trainer with a key label (a missing key, 0, would make the trainer
    /// skip the row and the evaluator ignore it, silently benchmarking fewer rows and classes).
    /// </summary>
    private static void CheckEveryLabelPresent(IDataView view, int expectedRows)
    {
        DataViewSchema.Column labelColumn = view.Schema["Label"];
        using DataViewRowCursor cursor = view.GetRowCursor([labelColumn]);
        ValueGetter<uint> getLabel = cursor.GetGetter<uint>(labelColumn);
        uint key = 0;
        int rows = 0, missing = 0;
        while (cursor.MoveNext())
        {
            getLabel(ref key);
            rows++;
            missing += key == 0 ? 1 : 0;
        }

        if (rows != expectedRows || missing != 0)
        {
            throw new InvalidOperationException($"The data view has {rows} rows ({expectedRows} expected) and {missing} missing labels.");
        }
    }

    /// <summary>Throws unless a scoring pass read every test row (the sum is only there so that the pass is not optimised away).</summary>
    private static void CheckRows(double sum, long rowsScored, int expected)
    {
        if (rowsScored != expected || double.IsNaN(sum))
        {
            throw new InvalidOperationException($"Scoring read {rowsScored} rows (checksum {sum}); expected {expected}.");
        }
    }

    /// <summary>Scores every row with Transform and a cursor over Score and PredictedLabel.</summary>
    internal static double ScoreAll(BackpropTransformer model, IDataView data, out long rows)
    {
        IDataView scored = model.Transform(data);
        DataViewSchema.Column scoreColumn = scored.Schema["Score"], labelColumn = scored.Schema["PredictedLabel"];
        using DataViewRowCursor cursor = scored.GetRowCursor([scoreColumn, labelColumn]);
        ValueGetter<VBuffer<float>> getScore = cursor.GetGetter<VBuffer<float>>(scoreColumn);
        ValueGetter<uint> getLabel = cursor.GetGetter<uint>(labelColumn);
        VBuffer<float> score = default;
        uint label = 0;
        double sum = 0;
        rows = 0;
        while (cursor.MoveNext())
        {
            getScore(ref score);
            getLabel(ref label);
            sum += label + score.GetValues()[0];
            rows++;
        }

        return sum;
    }

    /// <summary>Times single <c>Predict</c> calls, cycling through the test rows, after a warm-up.</summary>
    private static double[] PredictionLatencies(MLContext mlContext, BackpropTransformer model, LabeledData test, int calls, out double checksum)
    {
        using PredictionEngine<LabeledRow, MulticlassPrediction> engine =
            mlContext.Model.CreatePredictionEngine<LabeledRow, MulticlassPrediction>(model, inputSchemaDefinition: test.Schema());
        LabeledRow[] rows = test.ToRows();
        var output = new MulticlassPrediction();
        checksum = 0;
        for (int i = 0; i < LatencyWarmupCalls; i++)
        {
            engine.Predict(rows[i % rows.Length], ref output);
        }

        var micros = new double[calls];
        double tickToMicro = 1e6 / Stopwatch.Frequency;
        for (int i = 0; i < calls; i++)
        {
            LabeledRow row = rows[i % rows.Length];
            long start = Stopwatch.GetTimestamp();
            engine.Predict(row, ref output);
            micros[i] = (Stopwatch.GetTimestamp() - start) * tickToMicro;
            checksum += output.PredictedLabel;
        }

        return micros;
    }
}
