using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// One trainer of the text workload, in this process (<c>text --trainer X</c>): generates the reviews, featurizes them
/// once (FeaturizeText with ML.NET's defaults, fitted on the training rows, cached), fits the trainer, evaluates it on
/// the test rows, and writes a <see cref="TextRunResult"/> line for the parent.
/// </summary>
internal static class TextTrainerRun
{
    private const int BackpropHidden = 100;
    private const int BackpropEpochs = 10;

    /// <summary>Runs <see cref="BenchmarkOptions.Trainer"/>; a failure is reported in the result line, not thrown.</summary>
    /// <param name="options">The command line; Trainer is set.</param>
    /// <returns>The exit code: 0 on success, 1 when the run failed.</returns>
    public static int Run(BenchmarkOptions options)
    {
        string trainer = options.Trainer ?? throw new ArgumentException("No trainer given.", nameof(options));
        TextRunResult result;
        try
        {
            result = Measure(options, trainer);
        }
        catch (Exception e)
        {
            // "OutOfMemoryException", not "OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown."
            string message = e.Message.StartsWith("Exception of type", StringComparison.Ordinal) ? "" : $": {e.Message}";
            result = new TextRunResult { Trainer = trainer, Failure = e.GetType().Name + message };
        }

        Print(result);
        Console.WriteLine(result.ToLine());
        return result.Failure is null ? 0 : 1;
    }

    private static TextRunResult Measure(BenchmarkOptions options, string trainerName)
    {
        if (options.Pipeline)
        {
            return MeasurePipeline(options, trainerName);
        }

        var clock = Stopwatch.StartNew();
        SyntheticReviews.Split split = SyntheticReviews.Generate(options.Rows);
        double generateSeconds = clock.Elapsed.TotalSeconds;

        // Featurize once: the fitted featurizer turns the training and the test rows into Label and Features, cached
        // in memory (the cursor passes below fill the caches), so the trainer reads the same IDataView, not the text.
        var mlContext = new MLContext(seed: options.Seed);
        IDataView trainText = mlContext.Data.LoadFromEnumerable(split.Train), testText = mlContext.Data.LoadFromEnumerable(split.Test);
        clock.Restart();
        ITransformer featurizer = mlContext.Transforms.Text.FeaturizeText("Features", "Text")
            .Append(mlContext.Transforms.SelectColumns("Label", "Features"))
            .Fit(trainText);
        IDataView train = mlContext.Data.Cache(featurizer.Transform(trainText));
        IDataView test = mlContext.Data.Cache(featurizer.Transform(testText));
        (long trainNonZeros, int positives) = ReadAll(train);
        ReadAll(test);
        double featurizeSeconds = clock.Elapsed.TotalSeconds;
        int features = ((VectorDataViewType)train.Schema["Features"].Type).Size;
        long peakBeforeFit = PeakWorkingSet();
        (int words, int wordPairs, int charTrigrams) = FeatureKinds(train);

        IEstimator<ITransformer> trainer = CreateTrainer(mlContext, trainerName, options, out string? storage);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        clock.Restart();
        if (Environment.GetEnvironmentVariable("BACKPROP_BENCHMARK_LOG") == "1")
        {
            // Timestamped trainer log lines, to see where a fit's time goes.
            mlContext.Log += (_, e) =>
            {
                if (e.Message.Contains("BackpropTrainer:", StringComparison.Ordinal))
                {
                    Console.WriteLine($"  [{clock.Elapsed.TotalSeconds:F3} s] {e.Message}");
                }
            };
        }

        ITransformer model = trainer.Fit(train);
        double fitSeconds = clock.Elapsed.TotalSeconds;
        long peakAfterFit = PeakWorkingSet();
        Console.WriteLine($"  [{fitSeconds:F3} s] Fit returned");

        CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(model.Transform(test));
        long peakAfterScoring = PeakWorkingSet(); // before saving and loading, which read and write the model once more
        (long modelBytes, double saveSeconds, double loadSeconds) = SaveAndLoad(mlContext, model, train.Schema);
        TrainingHistory? history = (model as BackpropTransformer)?.Model.TrainingHistory;
        double[]? epochSeconds = history?.Select((r, e) => (r.Elapsed - (e == 0 ? TimeSpan.Zero : history[e - 1].Elapsed)).TotalSeconds).ToArray();
        return new TextRunResult
        {
            Trainer = trainerName,
            TrainRows = split.Train.Length,
            TestRows = split.Test.Length,
            GenerateSeconds = generateSeconds,
            FeaturizeSeconds = featurizeSeconds,
            FeatureCount = features,
            WordFeatures = words,
            WordPairFeatures = wordPairs,
            CharTrigramFeatures = charTrigrams,
            NonZeroFraction = trainNonZeros / ((double)split.Train.Length * features),
            NonZerosPerRow = trainNonZeros / (double)split.Train.Length,
            PositiveRate = positives / (double)split.Train.Length,
            FitSeconds = fitSeconds,
            SecondsPerEpoch = epochSeconds is { Length: > 0 } ? Stats.Median(epochSeconds) : null,
            FirstEpochRatio = epochSeconds is { Length: > 0 } ? epochSeconds[0] / Stats.Median(epochSeconds) : null,
            Epochs = history?.Count,
            SetupSeconds = history is { Count: > 0 } ? fitSeconds - history[^1].Elapsed.TotalSeconds : null,
            PeakWorkingSetBeforeFit = peakBeforeFit,
            PeakWorkingSet = peakAfterScoring,
            PeakWorkingSetAfterFit = peakAfterFit,
            Accuracy = metrics.Accuracy,
            Auc = metrics.AreaUnderRocCurve,
            LogLoss = metrics.LogLoss,
            Storage = storage,
            ModelFileBytes = modelBytes,
            SaveSeconds = saveSeconds,
            LoadSeconds = loadSeconds,
        };
    }

    /// <summary>Saves the model to a temporary file with <c>mlContext.Model.Save</c> and loads it in a new MLContext, timing both.</summary>
    private static (long Bytes, double SaveSeconds, double LoadSeconds) SaveAndLoad(MLContext mlContext, ITransformer model, DataViewSchema schema)
    {
        string path = Path.Combine(Path.GetTempPath(), $"backprop-text-model-{Environment.ProcessId}.zip");
        try
        {
            var clock = Stopwatch.StartNew();
            mlContext.Model.Save(model, schema, path);
            double saveSeconds = clock.Elapsed.TotalSeconds;
            long bytes = new FileInfo(path).Length;
            clock.Restart();
            new MLContext().Model.Load(path, out _);
            return (bytes, saveSeconds, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// The pipeline as the issue measured it: FeaturizeText followed by the trainer, fitted on the raw text with no cache
    /// (a trainer that passes over its data several times runs the featurizer each time), then scored on the raw test text.
    /// </summary>
    private static TextRunResult MeasurePipeline(BenchmarkOptions options, string trainerName)
    {
        SyntheticReviews.Split split = SyntheticReviews.Generate(options.Rows);
        var mlContext = new MLContext(seed: options.Seed);
        IDataView trainText = mlContext.Data.LoadFromEnumerable(split.Train), testText = mlContext.Data.LoadFromEnumerable(split.Test);
        long peakBeforeFit = PeakWorkingSet();
        IEstimator<ITransformer> trainer = CreateTrainer(mlContext, trainerName, options, out string? storage);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var clock = Stopwatch.StartNew();
        ITransformer model = mlContext.Transforms.Text.FeaturizeText("Features", "Text").Append(trainer).Fit(trainText);
        double fitSeconds = clock.Elapsed.TotalSeconds;
        long peakAfterFit = PeakWorkingSet();
        IDataView scored = model.Transform(testText);
        CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(scored);
        return new TextRunResult
        {
            Trainer = trainerName,
            Pipeline = true,
            TrainRows = split.Train.Length,
            TestRows = split.Test.Length,
            FeatureCount = ((VectorDataViewType)scored.Schema["Features"].Type).Size,
            FitSeconds = fitSeconds,
            PeakWorkingSetBeforeFit = peakBeforeFit,
            PeakWorkingSetAfterFit = peakAfterFit,
            PeakWorkingSet = PeakWorkingSet(),
            Accuracy = metrics.Accuracy,
            Auc = metrics.AreaUnderRocCurve,
            LogLoss = metrics.LogLoss,
            Storage = storage,
        };
    }

    /// <summary>The trainer: ML.NET's defaults for SDCA and LightGBM; Backprop with one hidden layer of 100 and 10 epochs.</summary>
    private static IEstimator<ITransformer> CreateTrainer(MLContext mlContext, string name, BenchmarkOptions options, out string? storage)
    {
        storage = null;
        switch (name)
        {
            case "sdca":
                return mlContext.BinaryClassification.Trainers.SdcaLogisticRegression(
                    new SdcaLogisticRegressionBinaryTrainer.Options { NumberOfThreads = options.Threads });
            case "lightgbm":
                return mlContext.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options { NumberOfThreads = options.Threads });
            case "backprop":
                var backprop = new BackpropTrainer.Options
                {
                    HiddenLayerSizes = [BackpropHidden],
                    MaximumNumberOfEpochs = BackpropEpochs,
                    Seed = options.Seed,
                    NumberOfThreads = options.Threads,
                };
                storage = options.BackpropSettings.Count == 0 ? "default" : BackpropSettings.Apply(backprop, options.BackpropSettings);
                return mlContext.BinaryClassification.Trainers.Backprop(backprop);
            default:
                throw new ArgumentException($"Unknown trainer '{name}'.", nameof(name));
        }
    }

    /// <summary>Reads every row (filling a cache): the non-zero feature values and the positive labels.</summary>
    private static (long NonZeros, int Positives) ReadAll(IDataView data)
    {
        DataViewSchema.Column labelColumn = data.Schema["Label"], featuresColumn = data.Schema["Features"];
        using DataViewRowCursor cursor = data.GetRowCursor([labelColumn, featuresColumn]);
        ValueGetter<bool> getLabel = cursor.GetGetter<bool>(labelColumn);
        ValueGetter<VBuffer<float>> getFeatures = cursor.GetGetter<VBuffer<float>>(featuresColumn);
        bool label = false;
        VBuffer<float> row = default;
        long nonZeros = 0;
        int positives = 0;
        while (cursor.MoveNext())
        {
            getLabel(ref label);
            getFeatures(ref row);
            positives += label ? 1 : 0;
            foreach (float value in row.GetValues())
            {
                nonZeros += value != 0 ? 1 : 0;
            }
        }

        return (nonZeros, positives);
    }

    /// <summary>Counts the features by kind from their slot names ("Word.good", "Word.not|good", "Char.o|o|d").</summary>
    private static (int Words, int WordPairs, int CharTrigrams) FeatureKinds(IDataView data)
    {
        VBuffer<ReadOnlyMemory<char>> names = default;
        data.Schema["Features"].GetSlotNames(ref names);
        int words = 0, wordPairs = 0, charTrigrams = 0;
        foreach (ReadOnlyMemory<char> name in names.DenseValues())
        {
            ReadOnlySpan<char> span = name.Span;
            if (span.StartsWith("Char."))
            {
                charTrigrams++;
            }
            else if (span.Contains('|'))
            {
                wordPairs++;
            }
            else
            {
                words++;
            }
        }

        return (words, wordPairs, charTrigrams);
    }

    private static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.PeakWorkingSet64;
    }

    /// <summary>The result for a reader of the console (the parent reads the line after it).</summary>
    private static void Print(TextRunResult r)
    {
        var table = new Table($"text, {r.Trainer}{(r.Pipeline ? ", whole pipeline on raw text" : "")}", "value");
        if (r.Failure is not null)
        {
            table.Add("Failed", r.Failure);
            table.Print();
            return;
        }

        if (r.Pipeline)
        {
            table.Add("Rows (training / test)", $"{r.TrainRows:N0} / {r.TestRows:N0}");
            table.Add("Features", $"{r.FeatureCount:N0}");
            table.Add("Fit of FeaturizeText + trainer on the raw text", $"{r.FitSeconds:F2} s");
        }
        else
        {
            table.Add("Rows (training / test)", $"{r.TrainRows:N0} / {r.TestRows:N0}, {r.PositiveRate:P1} positive");
            table.Add("Text generation", $"{r.GenerateSeconds:F2} s");
            table.Add("Featurization (fit + featurize + cache)", $"{r.FeaturizeSeconds:F2} s");
            table.Add("Features", $"{r.FeatureCount:N0}, {r.NonZeroFraction:P3} non-zero ({r.NonZerosPerRow:F1} per row)");
            table.Add("Of which words / word pairs / char trigrams", $"{r.WordFeatures:N0} / {r.WordPairFeatures:N0} / {r.CharTrigramFeatures:N0}");
            table.Add("Fit", $"{r.FitSeconds:F2} s");
        }

        if (r.Epochs is not null)
        {
            table.Add("Epochs, s/epoch (median), setup", $"{r.Epochs}, {r.SecondsPerEpoch:F2} s, {r.SetupSeconds:F2} s");
            table.Add("First epoch / median epoch", $"{r.FirstEpochRatio:F2}");
        }

        if (r.Storage is not null)
        {
            table.Add("Backprop options (--backprop)", r.Storage);
        }

        table.Add("Peak working set (before Fit / when Fit returns / after scoring)",
            $"{Gigabytes(r.PeakWorkingSetBeforeFit)} / {Gigabytes(r.PeakWorkingSetAfterFit)} / {Gigabytes(r.PeakWorkingSet)} GB");
        table.Add("Test accuracy / AUC / log-loss", $"{r.Accuracy:F4} / {r.Auc:F4} / {r.LogLoss:F4}");
        if (r.ModelFileBytes is long bytes)
        {
            table.Add("Model file (Model.Save), save, load (new MLContext)", $"{bytes / 1e6:F1} MB, {r.SaveSeconds:F2} s, {r.LoadSeconds:F2} s");
        }

        table.Print();
    }

    /// <summary>Bytes as gigabytes (10⁹), two decimals.</summary>
    /// <param name="bytes">A byte count.</param>
    /// <returns>The text.</returns>
    public static string Gigabytes(long bytes) => (bytes / 1e9).ToString("F2");
}
