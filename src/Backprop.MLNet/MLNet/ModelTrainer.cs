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
/// What <see cref="BackpropTrainer"/> does when ML.NET asks it to train: reads the rows (dense or sparse), applies class
/// weights, the label scaling of regression and the input standardisation, runs the training loop with reports to the
/// log and the progress callback, warns when training did not converge, and returns what the model file will hold.
/// </summary>
/// <param name="host">The trainer's host (log, cancellation, random source).</param>
/// <param name="options">The trainer's validated options.</param>
internal sealed class ModelTrainer(IHost host, BackpropTrainer.Options options)
{
    private readonly IHost _host = host;
    private readonly BackpropTrainer.Options _options = options;

    /// <summary>Trains on the context's data (and validation data, and initial model).</summary>
    /// <param name="trainContext">ML.NET's training context.</param>
    public ModelFormat.Contents Train(TrainContext trainContext)
    {
        RoleMappedData train = trainContext.TrainingSet;
        DataViewSchema.Column labelColumn = train.Schema.Label!.Value;
        BackpropTask task = LabelKinds.Resolve(_options.Task, labelColumn.Name, labelColumn.Type);
        int inputSize = ((VectorDataViewType)train.Schema.Feature!.Value.Type).Size;
        int outputSize = OutputSizeOf(task, labelColumn);
        ResourceLimits.CheckNetworkFits(_options, inputSize, outputSize, train.Data.GetRowCount());
        BackpropModelParameters? initialModel = InitialModel(trainContext.InitialPredictor, task, inputSize, outputSize);

        using IChannel ch = _host.Start("Training");
        TrainingData trainMatrix = ReadRows(ch, train, task, inputSize, outputSize, "training", _options.FeatureStorage);
        FeatureStorage storage = trainMatrix.IsSparse ? FeatureStorage.Sparse : FeatureStorage.Dense;
        TrainingData? validMatrix = trainContext.ValidationSet is RoleMappedData valid
            ? ReadRows(ch, valid, task, inputSize, outputSize, "validation", storage)
            : null;

        // Measured before class weights: the statistics weigh rows by their example weights only.
        InputStandardization? standardization = Standardization(ch, trainMatrix, initialModel);
        if (_options.ClassWeights is { } classWeights)
        {
            float[] perClass = classWeights.For(trainMatrix.Targets, task == BackpropTask.BinaryClassification ? 2 : outputSize);
            trainMatrix = ApplyClassWeights(trainMatrix, perClass);
            validMatrix = validMatrix is null ? null : ApplyClassWeights(validMatrix, perClass);
            ch.Info(MessageSensitivity.None, $"BackpropTrainer: class weights [{string.Join(", ", perClass.Select(w => w.ToString("G4", CultureInfo.InvariantCulture)))}].");
        }

        LabelScaling? scaling = null;
        if (task == BackpropTask.Regression && (initialModel is null ? _options.StandardizeRegressionLabel : initialModel.Scaling is not null))
        {
            // A warm start keeps its model's scaling, so that the network's outputs keep their meaning.
            scaling = initialModel?.Scaling ?? LabelScaling.Measure(trainMatrix.Targets, trainMatrix.Rows, trainMatrix.TargetWidth);
            scaling.Standardize(trainMatrix.Targets);
            if (validMatrix is not null)
            {
                scaling.Standardize(validMatrix.Targets);
            }
        }

        TrainingSettings settings = EngineMapping.ToSettings(_options, task, outputSize, _options.Seed ?? _host.Rand.Next());
        TrainingCheckpoint? resume = ResumeFrom(ch, initialModel);
        ch.Info(MessageSensitivity.None, $"BackpropTrainer: {task}, layers [{inputSize}, {string.Join(", ", _options.HiddenLayerSizes)}, {outputSize}], " +
            $"{trainMatrix.Rows} training rows ({Describe(trainMatrix)}), solver {_options.Solver}, seed {settings.Seed}" +
            (resume is null ? "." : $", continuing after epoch {resume.History.Count}."));
        TrainingResult result = MlpTrainer.Train(
            trainMatrix,
            settings,
            onEpoch: record =>
            {
                EpochReport report = EngineMapping.ToPublic(record);
                ch.Info(MessageSensitivity.None, FormatReport(report));
                _options.Progress?.Report(report);
            },
            checkAlive: _host.CheckAlive,
            validation: validMatrix,
            resume: resume,
            standardization: standardization);
        ReportEnd(ch, result);
        return new ModelFormat.Contents(task, result.Network, scaling, result.History, result.StopReason, result.Checkpoint, standardization);
    }

    /// <summary>
    /// The standardisation to train with: a warm start keeps its initial model's (or its absence); otherwise measured on the
    /// training rows when <see cref="BackpropTrainer.Options.StandardizeFeatures"/> is on. When it is off, the scales are still
    /// measured, to warn when they differ by orders of magnitude.
    /// </summary>
    private InputStandardization? Standardization(IChannel ch, TrainingData data, BackpropModelParameters? initialModel)
    {
        if (initialModel is not null)
        {
            return initialModel.Standardization;
        }

        InputStandardization measured = InputStatistics.Measure(data);
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

    private static string Describe(TrainingData data) => data.Sparse is { } sparse
        ? string.Create(CultureInfo.InvariantCulture, $"sparse, {sparse.Entries:N0} non-zeros, {(double)sparse.Entries / ((double)data.Rows * data.InputSize):P3} dense")
        : "dense";

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

    private TrainingData ReadRows(IChannel ch, RoleMappedData data, BackpropTask task, int inputSize, int outputSize, string purpose, FeatureStorage storage)
    {
        DataReader.Result read = DataReader.Read(_host, data, task, inputSize, outputSize, storage, ResourceLimits.AvailableMemoryBytes(), purpose);
        if (read.RowsSkipped > 0)
        {
            ch.Warning(MessageSensitivity.None, $"BackpropTrainer: skipped {read.RowsSkipped} of {read.RowsRead} {purpose} rows whose features hold NaN or infinity or whose label is missing." +
                (task == BackpropTask.MulticlassClassification
                    ? " (A multiclass label is missing when its key is 0. Note that mlContext.Data.LoadFromEnumerable adds 1 to a key-typed integer field: store the 0-based class there.)"
                    : ""));
        }

        if (read.Data is null)
        {
            throw read.RowsRead == 0
                ? Errors.NoData($"the {purpose} data has no rows", "Check the data source and any filter before the trainer.")
                : Errors.NoData($"all {read.RowsRead} {purpose} rows were skipped (NaN or infinite features, or a missing label)",
                    "Replace missing values first, e.g. with mlContext.Transforms.ReplaceMissingValues, or drop them with mlContext.Data.FilterRowsByMissingValues.");
        }

        if (purpose == "training" && task == BackpropTask.BinaryClassification && read.ClassesSeen < 2)
        {
            throw Errors.NoData($"every one of the {read.Data.Rows} training rows has the same label, so there is only one class to learn",
                "Binary classification needs rows of both classes (true and false).");
        }

        return read.Data;
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
            throw new ArgumentException(
                $"The initial model does not fit this training: it is {model.Task} with {model.InputSize} inputs, hidden layers " +
                $"[{string.Join(", ", model.HiddenLayerSizes)}] ({model.Activation}) and {model.OutputSize} outputs; this trainer and data need " +
                $"{task} with {inputSize} inputs, hidden layers [{string.Join(", ", _options.HiddenLayerSizes)}] ({_options.Activation}) and {outputSize} outputs.",
                "initialModel");
        }

        return model;
    }

    private static string FormatReport(EpochReport report)
    {
        string validation = report.ValidationLoss is double v ? $", validation loss {v.ToString("G6", CultureInfo.InvariantCulture)}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"BackpropTrainer: epoch {report.Epoch}, training loss {report.TrainingLoss:G6}{validation}, learning rate {report.LearningRate:G4}, {report.Elapsed.TotalSeconds:F2} s");
    }
}
