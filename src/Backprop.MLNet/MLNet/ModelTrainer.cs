using System.Globalization;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.MLNet.Persistence;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// What <see cref="BackpropTrainer"/> does when ML.NET asks it to train: checks a warm start's initial model against the
/// data (shape, and the classes of a multiclass label), reads the rows (dense or sparse), applies class weights, the label
/// scaling of regression and the input standardisation, runs the training loop with reports to the log and the progress
/// callback, warns when training did not converge (or when a 0/1 label is taken for regression), and returns what the model
/// file will hold.
/// </summary>
/// <param name="host">The trainer's host (log, cancellation, random source).</param>
/// <param name="options">The trainer's validated options.</param>
internal sealed partial class ModelTrainer(IHost host, BackpropTrainer.Options options)
{
    private readonly IHost _host = host;
    private readonly BackpropTrainer.Options _options = options;

    /// <summary>Trains on the context's data (and validation data, and initial model).</summary>
    /// <param name="trainContext">ML.NET's training context.</param>
    /// <returns>The model's contents, and a buffer training no longer uses (see <see cref="TrainingResult.Spare"/>) or null.</returns>
    public (ModelFormat.Contents Contents, float[]? Spare) Train(TrainContext trainContext)
    {
        RoleMappedData train = trainContext.TrainingSet;
        DataViewSchema.Column labelColumn = train.Schema.Label!.Value;
        BackpropTask task = LabelKinds.Resolve(_options.Task, labelColumn.Name, labelColumn.Type);
        if (_options.ClassWeights is { } weights && task is BackpropTask.Regression or BackpropTask.MultilabelClassification)
        {
            // Options.Validate refuses this for a task set explicitly; here the task was inferred from the label.
            throw Errors.Option(nameof(BackpropTrainer.Options.ClassWeights), weights.IsBalanced ? "Balanced" : weights.Weights,
                $"applies to binary and multiclass classification only, and the label '{labelColumn.Name}' ({labelColumn.Type}) makes this {task}",
                "Leave it null; to weigh rows, use ExampleWeightColumnName.");
        }

        int inputSize = ((VectorDataViewType)train.Schema.Feature!.Value.Type).Size;
        int outputSize = OutputSizeOf(task, labelColumn);
        ResourceLimits.CheckNetworkFits(_options, inputSize, outputSize, train.Data.GetRowCount());
        BackpropModelParameters? initialModel = InitialModel(trainContext.InitialPredictor, task, inputSize, outputSize);
        TrainingSettings settings = EngineMapping.ToSettings(_options, task, outputSize, _options.Seed ?? _host.Rand.Next());

        using IChannel ch = _host.Start("Training");
        // Compiles the training path on an idle core while the rows are read (see TrainingWarmup); stopped when training starts.
        // Rows may come sparse when asked for, or with automatic storage when they are wide (one-hot and text features).
        bool mayBeSparse = _options.FeatureStorage == FeatureStorage.Sparse || (_options.FeatureStorage == FeatureStorage.Auto && inputSize >= TrainingWarmup.WideInputs);
        using TrainingWarmup? warmup = TrainingWarmup.Start(settings, inputSize, mayBeSparse);
        // A new network's memory is drawn and mapped meanwhile too, when it is large (see TrainingPreparation).
        using TrainingPreparation? preparation = initialModel is null ? TrainingPreparation.Start(settings, inputSize, mayBeSparse) : null;
        ClassValues? classes = task == BackpropTask.MulticlassClassification ? ClassValues.Of(labelColumn) : null;
        if (initialModel is not null && task == BackpropTask.MulticlassClassification)
        {
            CheckClasses(ch, initialModel.Classes, classes, labelColumn.Name);
        }

        var trainSource = new DataViewRowSource(_host, train, task, inputSize, outputSize);
        DataReader.Result trainRead = ReadRows(ch, trainSource, task, "training", _options.Caching, _options.FeatureStorage);
        using RowSpill? trainSpill = trainSource.Spill = trainRead.Spill;
        if (_options.Task == BackpropTask.Auto && task == BackpropTask.Regression && trainRead.Labels is { OnlyZeroAndOne: true })
        {
            ch.Warning(MessageSensitivity.None, "BackpropTrainer: " + ZeroOneLabelWarning(labelColumn));
        }

        FeatureStorage storage = trainRead.IsSparse ? FeatureStorage.Sparse : FeatureStorage.Dense;
        DataViewRowSource? validSource = trainContext.ValidationSet is RoleMappedData valid ? new DataViewRowSource(_host, valid, task, inputSize, outputSize) : null;
        DataReader.Result? validRead = validSource is null ? null : ReadRows(ch, validSource, task, "validation", _options.Caching, storage);
        using RowSpill? validSpill = validRead?.Spill;
        if (validSource is not null)
        {
            validSource.Spill = validSpill;
        }

        InputStandardization? standardization = Standardization(ch, trainRead.Statistics!, initialModel);
        float[]? perClass = null;
        if (_options.ClassWeights is { } classWeights)
        {
            perClass = classWeights.For(trainRead.RowsPerClass);
            trainSource.ClassWeights = perClass;
            if (validSource is not null)
            {
                validSource.ClassWeights = perClass;
            }

            ch.Info(MessageSensitivity.None, $"BackpropTrainer: class weights [{string.Join(", ", perClass.Select(w => w.ToString("G4", CultureInfo.InvariantCulture)))}].");
        }

        LabelScaling? scaling = null;
        if (task == BackpropTask.Regression && (initialModel is null ? _options.StandardizeRegressionLabel : initialModel.Scaling is not null))
        {
            // A warm start keeps its model's scaling, so that the network's outputs keep their meaning.
            scaling = initialModel?.Scaling ?? trainRead.Labels!.Result();
            trainSource.Scaling = scaling;
            if (validSource is not null)
            {
                validSource.Scaling = scaling;
            }
        }

        ITrainingRows trainRows = Rows(trainSource, trainRead, perClass, scaling);
        ITrainingRows? validRows = validRead is null ? null : Rows(validSource!, validRead, perClass, scaling);
        TrainingCheckpoint? resume = ResumeFrom(ch, initialModel);
        ch.Info(MessageSensitivity.None, $"BackpropTrainer: {task}, layers [{inputSize}, {string.Join(", ", _options.HiddenLayerSizes)}, {outputSize}], " +
            $"{trainRead.ValidRows} training rows ({Describe(trainRead, trainRows, inputSize)}), solver {_options.Solver}, seed {settings.Seed}" +
            (resume is null ? "." : $", continuing after epoch {resume.History.Count}."));
        warmup?.Dispose();
        PreparedTraining? prepared = preparation?.Take(trainRows.IsSparse); // none for a warm start (no preparation began)
        if (prepared is not null)
        {
            ch.Trace(MessageSensitivity.None, "BackpropTrainer: the network, its gradient and optimizer state were prepared while the rows were read.");
        }

        TrainingResult result = MlpTrainer.Train(
            trainRows,
            settings,
            onEpoch: record =>
            {
                EpochReport report = EngineMapping.ToPublic(record);
                ch.Info(MessageSensitivity.None, FormatReport(report, task));
                _options.Progress?.Report(report);
            },
            checkAlive: _host.CheckAlive,
            validation: validRows,
            resume: resume,
            standardization: standardization,
            prepared: prepared);
        ReportEnd(ch, result);
        TrainingCheckpoint checkpoint = _options.KeepOptimizerState ? result.Checkpoint : result.Checkpoint.WithoutOptimizer();
        // The data's classes, which a warm start has checked against its model's; the model's when the data has no key values.
        return (new ModelFormat.Contents(task, result.Network, scaling, result.History, result.StopReason, checkpoint, standardization,
            classes ?? initialModel?.Classes), result.Spare);
    }

    /// <summary>
    /// The rows as the training loop takes them: in memory, with the class weights and label scaling applied to the matrices
    /// (the source applies them to streamed rows as they are read); or streamed, with the shuffle buffer of the options.
    /// </summary>
    private ITrainingRows Rows(DataViewRowSource source, DataReader.Result read, float[]? perClass, LabelScaling? scaling)
    {
        if (read.Data is { } data)
        {
            scaling?.Standardize(data.Targets);
            return perClass is null ? data : ApplyClassWeights(data, perClass);
        }

        double totalWeight = read.WeightSum;
        if (perClass is not null)
        {
            // The weight after class weights: the rows were counted by class, not weighed by class, so without example weights
            // it is exact and with them an estimate (only the L-BFGS objective uses it up front; minibatch training sums the
            // weights it reads).
            totalWeight = 0;
            for (int c = 0; c < perClass.Length; c++)
            {
                totalWeight += perClass[c] * (double)read.RowsPerClass[c] * (read.WeightSum / read.ValidRows);
            }

            if (!(totalWeight > 0))
            {
                throw Errors.Option(nameof(BackpropTrainer.Options.ClassWeights), perClass, "must give a positive weight to a class that has rows");
            }
        }

        int pool = _options.ShuffleBufferSize ?? StreamedRows.DefaultShuffleBufferRows(
            read.ValidRows, StreamedRows.ShuffleBufferBytesPerRow(source.InputSize, source.TargetWidth, read.IsSparse ? read.MeanEntries : null));
        return new StreamedRows(source, read.ValidRows, totalWeight, read.IsSparse, (int)Math.Min(pool, Math.Max(1, read.ValidRows)));
    }

    /// <summary>
    /// The standardisation to train with: a warm start keeps its initial model's (or its absence); otherwise measured on the
    /// training rows when <see cref="BackpropTrainer.Options.StandardizeFeatures"/> is on. When it is off, the scales are still
    /// measured, to warn when they differ by orders of magnitude.
    /// </summary>
    private InputStandardization? Standardization(IChannel ch, InputStatistics statistics, BackpropModelParameters? initialModel)
    {
        if (initialModel is not null)
        {
            return initialModel.Standardization;
        }

        InputStandardization measured = statistics.Result();
        if (_options.StandardizeFeatures)
        {
            return measured;
        }

        if (ScaleWarning(measured) is { } warning)
        {
            ch.Warning(MessageSensitivity.None, "BackpropTrainer: " + warning);
        }

        return null;
    }

    /// <summary>A warning when the features' typical magnitudes (root mean square) differ by a factor of 1000 or more, else null.</summary>
    internal static string? ScaleWarning(InputStandardization measured)
    {
        double smallest = double.PositiveInfinity, largest = 0;
        int smallestAt = -1, largestAt = -1;
        for (int i = 0; i < measured.Width; i++)
        {
            if (measured.Mean[i] == 0f && measured.Scale[i] == 1f)
            {
                continue; // constant (or an all-zero column): left as it is anyway
            }

            double rms = Math.Sqrt(((double)measured.Mean[i] * measured.Mean[i]) + ((double)measured.Scale[i] * measured.Scale[i]));
            if (rms < smallest)
            {
                (smallest, smallestAt) = (rms, i);
            }

            if (rms > largest)
            {
                (largest, largestAt) = (rms, i);
            }
        }

        if (smallestAt < 0 || largest < 1000 * smallest)
        {
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"the features' scales differ by orders of magnitude (feature {largestAt} has a typical size of {largest:G3}, feature {smallestAt} of {smallest:G3}) ") +
            "and StandardizeFeatures is off: gradient training on such inputs is slow or fails. Turn StandardizeFeatures on (the default), or " +
            "standardise the features first with mlContext.Transforms.NormalizeMeanVariance(\"Features\", fixZero: false).";
    }

    private static string Describe(DataReader.Result read, ITrainingRows rows, int inputSize)
    {
        string storage = read.IsSparse
            ? string.Create(CultureInfo.InvariantCulture, $"sparse, {read.MeanEntries * read.ValidRows:N0} non-zeros, {read.MeanEntries / inputSize:P3} dense")
            : "dense";
        return rows is StreamedRows streamed
            ? string.Create(CultureInfo.InvariantCulture,
                $"{storage}, streamed from {(read.Spill is null ? "the data view" : "a temporary file")} every epoch with a shuffle buffer of {streamed.ShuffleBufferRows:N0} rows{(streamed.ShuffleBufferRows >= streamed.Rows ? " (every row)" : "")}")
            : $"{storage}, in memory";
    }

    /// <summary>Logs how training ended, and warns when it may not have converged.</summary>
    private void ReportEnd(IChannel ch, TrainingResult result)
    {
        ch.Info(MessageSensitivity.None, $"BackpropTrainer: stopped after {result.History.Count} epochs ({EngineMapping.ToPublic(result.StopReason)}), final training loss {result.FinalLoss.ToString("G6", CultureInfo.InvariantCulture)}.");
        string? notConverged = result.StopReason switch
        {
            StopReason.EpochLimit => $"reached MaximumNumberOfEpochs ({_options.MaximumNumberOfEpochs}) before the loss stopped improving by Tolerance " +
                $"({_options.Tolerance.ToString("G3", CultureInfo.InvariantCulture)}): the model may not have converged. Raise MaximumNumberOfEpochs or the LearningRate.",
            StopReason.EvaluationLimit => $"L-BFGS used up MaximumNumberOfLossEvaluations ({_options.MaximumNumberOfLossEvaluations}) before converging: the model may not have converged.",
            StopReason.LineSearchFailed => "L-BFGS's line search found no better step before the convergence test was met (often float32 noise near a minimum): the model may not have fully converged.",
            _ => null,
        };
        if (notConverged is not null)
        {
            ch.Warning(MessageSensitivity.None, "BackpropTrainer: " + notConverged);
        }
    }

    private static TrainingData ApplyClassWeights(TrainingData data, float[] perClass)
    {
        var weights = new float[data.Rows];
        for (int r = 0; r < data.Rows; r++)
        {
            weights[r] = (data.Weights?[r] ?? 1f) * perClass[(int)data.Targets[r]];
        }

        if (weights.All(w => w == 0))
        {
            throw Errors.Option(nameof(BackpropTrainer.Options.ClassWeights), perClass, "must give a positive weight to a class that has rows");
        }

        return data.WithWeights(weights);
    }

    /// <summary>The checkpoint a warm start continues from: the whole training state when the solver matches, else the parameters.</summary>
    private TrainingCheckpoint? ResumeFrom(IChannel ch, BackpropModelParameters? model)
    {
        if (model is null)
        {
            return null;
        }

        if (model.Checkpoint is { } checkpoint && _options.Solver != Solver.Lbfgs
            && (checkpoint.Optimizer is null || checkpoint.Optimizer.Optimizer == OptimizerKindOf(_options.Solver)))
        {
            return checkpoint;
        }

        ch.Info(MessageSensitivity.None, "BackpropTrainer: warm start from the initial model's parameters; its optimizer state is not for this solver, so the optimizer starts afresh.");
        return new TrainingCheckpoint { Network = model.TrainingNetwork, History = model.History };
    }

    /// <summary>The engine optimizer of a minibatch solver.</summary>
    private static OptimizerKind OptimizerKindOf(Solver solver) => solver == Solver.Sgd ? OptimizerKind.Sgd : OptimizerKind.Adam;

    private static int OutputSizeOf(BackpropTask task, DataViewSchema.Column label)
    {
        if (task == BackpropTask.Regression && label.Type is VectorDataViewType { Size: var size })
        {
            return size;
        }

        if (task == BackpropTask.MultilabelClassification)
        {
            int labels = ((VectorDataViewType)label.Type).Size;
            return labels <= ModelFormat.MaxWidth ? labels : throw Errors.ColumnType("Label", label.Name, label.Type,
                $"multilabel classification takes at most {ModelFormat.MaxWidth} labels, this vector has {labels}", "Train on fewer labels.");
        }

        if (task != BackpropTask.MulticlassClassification)
        {
            return 1;
        }

        ulong count = label.Type.GetKeyCount();
        if (count < 2 || count > ModelFormat.MaxWidth)
        {
            throw Errors.ColumnType("Label", label.Name, label.Type, $"multiclass classification needs a key type of 2 to {ModelFormat.MaxWidth} values, this one has {count}",
                "Map the label with mlContext.Transforms.Conversion.MapValueToKey over data that holds at least two classes, or use binary classification.");
        }

        return (int)count;
    }

    private DataReader.Result ReadRows(IChannel ch, DataViewRowSource source, BackpropTask task, string purpose, DataCaching caching, FeatureStorage storage)
    {
        DataReader.Result read = DataReader.Read(source, caching, storage, ResourceLimits.AvailableMemoryBytes(), purpose, measure: purpose == "training",
            SpillSettings.For(TempDirectory()));
        try
        {
            Check(ch, read, task, purpose, caching);
        }
        catch
        {
            read.Spill?.Dispose();
            throw;
        }

        return read;
    }

    /// <summary>Where temporary files go: the context's <c>TempFilePath</c> (ML.NET's own setting), else the system's.</summary>
    private string TempDirectory() =>
        _host is IHostEnvironmentInternal { TempFilePath: { Length: > 0 } path } ? path : Path.GetTempPath();

    private static void Check(IChannel ch, DataReader.Result read, BackpropTask task, string purpose, DataCaching caching)
    {
        if (read.RowsSkipped > 0)
        {
            ch.Warning(MessageSensitivity.None, $"BackpropTrainer: skipped {read.RowsSkipped} of {read.RowsRead} {purpose} rows whose features hold NaN or infinity or whose label is missing." +
                (task == BackpropTask.MulticlassClassification
                    ? " (A multiclass label is missing when its key is 0. Note that mlContext.Data.LoadFromEnumerable adds 1 to a key-typed integer field: store the 0-based class there.)"
                    : ""));
        }

        if (read.ValidRows == 0)
        {
            throw read.RowsRead == 0
                ? Errors.NoData($"the {purpose} data has no rows", "Check the data source and any filter before the trainer.")
                : Errors.NoData($"all {read.RowsRead} {purpose} rows were skipped (NaN or infinite features, or a missing label)",
                    "Replace missing values first, e.g. with mlContext.Transforms.ReplaceMissingValues, or drop them with mlContext.Data.FilterRowsByMissingValues.");
        }

        if (purpose == "training" && task == BackpropTask.BinaryClassification && read.ClassesSeen < 2)
        {
            throw Errors.NoData($"every one of the {read.ValidRows} training rows has the same label, so there is only one class to learn",
                "Binary classification needs rows of both classes (true and false).");
        }

        if (read.SpillFailure is { } failure)
        {
            ch.Warning(MessageSensitivity.None, $"BackpropTrainer: {failure}; they are streamed from the data view every epoch instead (Caching = DataCaching.Streaming).");
        }

        if (read.Streamed && caching == DataCaching.Auto)
        {
            ch.Info(MessageSensitivity.None, $"BackpropTrainer: the {read.ValidRows:N0} {purpose} rows do not fit half of the memory available, so they are streamed " +
                (read.Spill is null ? "from the data view every epoch." : "from a temporary file every epoch."));
        }

        if (read.Spill is { } spill)
        {
            ch.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                $"BackpropTrainer: wrote the {spill.Rows:N0} {purpose} rows ({spill.Bytes / 1048576.0:N1} MiB) to a temporary file in '{Path.GetDirectoryName(spill.Path)}', removed when training ends."));
        }
    }

    private BackpropModelParameters? InitialModel(IPredictor? predictor, BackpropTask task, int inputSize, int outputSize)
    {
        if (predictor is null)
        {
            return null;
        }

        if (predictor is not BackpropModelParameters model)
        {
            throw new ArgumentException($"The initial model is a {predictor.GetType().Name}; warm start needs a BackpropModelParameters.", "initialModel");
        }

        if (model.Task != task || model.InputSize != inputSize || model.OutputSize != outputSize
            || !model.HiddenLayerSizes.SequenceEqual(_options.HiddenLayerSizes) || model.Activation != _options.Activation)
        {
            throw Errors.InitialModel(
                $"it is {model.Task} with {model.InputSize} inputs, hidden layers " +
                $"[{string.Join(", ", model.HiddenLayerSizes)}] ({model.Activation}) and {model.OutputSize} outputs; this trainer and data need " +
                $"{task} with {inputSize} inputs, hidden layers [{string.Join(", ", _options.HiddenLayerSizes)}] ({_options.Activation}) and {outputSize} outputs",
                "Warm-start with a model trained with these options on data of this shape, or train without the initial model.");
        }

        return model;
    }

    private static string FormatReport(EpochReport report, BackpropTask task)
    {
        string validation = report.ValidationLoss is double v ? $", validation loss {v.ToString("G6", CultureInfo.InvariantCulture)}" : "";
        string score = report.ValidationScore is double s
            ? $", validation {(task == BackpropTask.Regression ? "R²" : "accuracy")} {s.ToString("G6", CultureInfo.InvariantCulture)}"
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"BackpropTrainer: epoch {report.Epoch}, training loss {report.TrainingLoss:G6}{validation}{score}, learning rate {report.LearningRate:G4}, {report.Elapsed.TotalSeconds:F2} s");
    }
}
