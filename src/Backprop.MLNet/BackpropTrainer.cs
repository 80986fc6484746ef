using System.Globalization;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.MLNet;
using Backprop.MLNet.MLNet.Persistence;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Backprop.MLNet;

/// <summary>
/// Trains a multilayer perceptron (a fully connected neural network) by backpropagation and minibatch
/// gradient descent, for binary classification, multiclass classification or regression.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// Append it to a pipeline like any ML.NET trainer, or create it through the catalogs
/// (`mlContext.BinaryClassification.Trainers.Backprop(...)` and the multiclass and regression twins).
///
/// ### Trainer characteristics
/// | | |
/// | -- | -- |
/// | Machine learning task | Binary classification, multiclass classification, regression |
/// | Is normalization required? | Yes: scale the features (e.g. NormalizeMinMax or NormalizeMeanVariance) |
/// | Is caching required? | No: the data is read once into memory |
/// | Required NuGet in addition to Microsoft.ML | Backprop.MLNet |
/// | Exportable to ONNX | Yes (`mlContext.Model.ConvertToOnnx`, package Microsoft.ML.OnnxConverter) |
///
/// ### Training algorithm details
/// Forward pass z = W·a + b, a = f(z) per layer; output and loss paired by task (sigmoid + log loss,
/// softmax + cross-entropy, identity + squared error), so the output error is ŷ − y; the backward pass
/// applies the chain rule layer by layer; Adam or SGD (momentum, Nesterov) updates with an L2 penalty.
/// Defaults and semantics follow scikit-learn's MLPClassifier/MLPRegressor.
/// ]]></format>
/// </remarks>
public sealed partial class BackpropTrainer : TrainerEstimatorBase<BackpropTransformer, BackpropModelParameters>, IEstimator<BackpropTransformer>
{
    internal const string LoadName = "BackpropTrainer";

    private static readonly TrainerInfo TrainerInfoInstance = new(normalization: true, caching: false, supportValid: true, supportIncrementalTrain: true);

    private readonly Options _options;

    /// <summary>Creates a trainer with the given options (copied; later changes to <paramref name="options"/> do not reach it).</summary>
    /// <param name="mlContext">The ML.NET context: its log receives the epoch reports, its seed makes training repeatable.</param>
    /// <param name="options">The options; each is checked here and an invalid one throws naming it.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range.</exception>
    public BackpropTrainer(MLContext mlContext, Options options)
        : this(Contracts.CheckRef<IHostEnvironment>(mlContext, nameof(mlContext)), options)
    {
    }

    /// <summary>Creates a trainer with default options and the given columns and hidden layers.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="labelColumnName">The label column: Boolean, a key type or Single/Double (the task is inferred from it).</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single.</param>
    /// <param name="hiddenLayerSizes">The width of each hidden layer; none given means one layer of 100.</param>
    public BackpropTrainer(MLContext mlContext, string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        params int[] hiddenLayerSizes)
        : this(mlContext, new Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            HiddenLayerSizes = hiddenLayerSizes is { Length: > 0 } ? hiddenLayerSizes : Defaults.HiddenLayerSizes,
        })
    {
    }

    /// <summary>Creates a trainer in any ML.NET environment (the catalogs use this).</summary>
    internal BackpropTrainer(IHostEnvironment env, Options options)
        : this(env, Prepare(options), checkedOptions: true)
    {
    }

    private BackpropTrainer(IHostEnvironment env, Options options, bool checkedOptions)
        : base(Contracts.CheckRef(env, nameof(env)).Register(LoadName),
            TrainerUtils.MakeR4VecFeature(options.FeatureColumnName),
            new SchemaShape.Column(options.LabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false),
            TrainerUtils.MakeR4ScalarWeightColumn(options.ExampleWeightColumnName))
    {
        _ = checkedOptions;
        _options = options;
    }

    private static Options Prepare(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Clone();
    }

    /// <summary>A copy of the options this trainer uses.</summary>
    public Options TrainerOptions => _options.Clone();

    /// <summary>What the trainer needs and supports: normalised features, no caching, a validation set, warm start.</summary>
    public override TrainerInfo Info => TrainerInfoInstance;

    /// <inheritdoc/>
    protected override PredictionKind PredictionKind => _options.Task switch
    {
        BackpropTask.BinaryClassification => PredictionKind.BinaryClassification,
        BackpropTask.MulticlassClassification => PredictionKind.MulticlassClassification,
        _ => PredictionKind.Regression,
    };

    /// <summary>Trains a network on <paramref name="trainData"/>.</summary>
    /// <param name="trainData">The training data with the label and feature columns.</param>
    /// <returns>The fitted transformer.</returns>
    public new BackpropTransformer Fit(IDataView trainData) => FitCore(trainData, null, null);

    /// <summary>Trains on <paramref name="trainData"/> and reports the loss on <paramref name="validationData"/> after every epoch.</summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">Held-out data with the same columns; its loss goes into every <see cref="EpochReport"/>.</param>
    /// <returns>The fitted transformer.</returns>
    public BackpropTransformer Fit(IDataView trainData, IDataView validationData)
    {
        ArgumentNullException.ThrowIfNull(validationData);
        return FitCore(trainData, validationData, null);
    }

    /// <summary>Continues training from <paramref name="initialModel"/> (warm start) instead of a fresh initialisation.</summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="initialModel">A model with the same task, input size and layers as this trainer would build.</param>
    /// <returns>The fitted transformer.</returns>
    public BackpropTransformer Fit(IDataView trainData, BackpropModelParameters initialModel)
    {
        ArgumentNullException.ThrowIfNull(initialModel);
        return FitCore(trainData, null, initialModel);
    }

    /// <summary>The schema the fitted transformer will produce, checking the input columns first.</summary>
    /// <param name="inputSchema">The shape of the input data.</param>
    /// <returns>The input columns plus the task's output columns.</returns>
    public new SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ColumnChecks.Check(_options, inputSchema);
        return base.GetOutputSchema(inputSchema);
    }

    private BackpropTransformer FitCore(IDataView trainData, IDataView? validationData, BackpropModelParameters? initialModel)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ColumnChecks.Check(_options, trainData.Schema, "training data");
        if (validationData is not null)
        {
            ColumnChecks.Check(_options, validationData.Schema, "validation data");
        }

        return TrainTransformer(trainData, validationData, initialModel);
    }

    /// <inheritdoc/>
    protected override void CheckLabelCompatible(SchemaShape.Column labelCol) => LabelKinds.Resolve(_options.Task, labelCol);

    /// <inheritdoc/>
    protected override SchemaShape.Column[] GetOutputColumnsCore(SchemaShape inputSchema)
    {
        inputSchema.TryFindColumn(_options.LabelColumnName, out SchemaShape.Column label);
        var trainerOutput = new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation());
        switch (LabelKinds.Resolve(_options.Task, label))
        {
            case BackpropTask.BinaryClassification:
                return
                [
                    new(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, trainerOutput),
                    new(DefaultColumnNames.Probability, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
                        new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation(true))),
                    new(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false, trainerOutput),
                ];
            case BackpropTask.MulticlassClassification:
                var predictedLabelAnnotations = new SchemaShape(label.Annotations.Where(a => a.Name == AnnotationUtils.Kinds.KeyValues)
                    .Concat(AnnotationUtils.GetTrainerOutputAnnotation()));
                return
                [
                    new(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
                        new SchemaShape(AnnotationUtils.AnnotationsForMulticlassScoreColumn(label))),
                    new(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, predictedLabelAnnotations),
                ];
            default:
                var scoreKind = label.Kind == SchemaShape.Column.VectorKind.Vector ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.Scalar;
                return [new(DefaultColumnNames.Score, scoreKind, NumberDataViewType.Single, false, trainerOutput)];
        }
    }

    /// <inheritdoc/>
    protected override BackpropTransformer MakeTransformer(BackpropModelParameters model, DataViewSchema trainSchema) =>
        new(Host, model, trainSchema, FeatureColumn.Name, LabelColumn.Name);

    /// <inheritdoc/>
    protected override BackpropModelParameters TrainModelCore(TrainContext trainContext)
    {
        Host.CheckValue(trainContext, nameof(trainContext));
        RoleMappedData train = trainContext.TrainingSet;
        DataViewSchema.Column labelColumn = train.Schema.Label!.Value;
        BackpropTask task = LabelKinds.Resolve(_options.Task, labelColumn.Name, labelColumn.Type);
        int inputSize = ((VectorDataViewType)train.Schema.Feature!.Value.Type).Size;
        int outputSize = OutputSizeOf(task, labelColumn);
        ResourceLimits.CheckNetworkFits(_options, inputSize, outputSize, train.Data.GetRowCount());
        BackpropModelParameters? initialModel = InitialModel(trainContext.InitialPredictor, task, inputSize, outputSize);

        using IChannel ch = Host.Start("Training");
        TrainingData trainMatrix = ReadRows(ch, train, task, inputSize, outputSize, "training");
        TrainingData? validMatrix = trainContext.ValidationSet is RoleMappedData valid
            ? ReadRows(ch, valid, task, inputSize, outputSize, "validation")
            : null;
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

        TrainingSettings settings = EngineMapping.ToSettings(_options, task, outputSize, _options.Seed ?? Host.Rand.Next());
        TrainingCheckpoint? resume = ResumeFrom(ch, initialModel);
        ch.Info(MessageSensitivity.None, $"BackpropTrainer: {task}, layers [{inputSize}, {string.Join(", ", _options.HiddenLayerSizes)}, {outputSize}], " +
            $"{trainMatrix.Rows} training rows, solver {_options.Solver}, seed {settings.Seed}" +
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
            checkAlive: Host.CheckAlive,
            validation: validMatrix,
            resume: resume);
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

        return new BackpropModelParameters(Host, new ModelFormat.Contents(task, result.Network, scaling, result.History, result.StopReason, result.Checkpoint));
    }

    /// <summary>Multiplies every row's weight (1 without an example-weight column) by the weight of its class.</summary>
    private static TrainingData ApplyClassWeights(TrainingData data, float[] perClass)
    {
        var weights = new float[data.Rows];
        for (int r = 0; r < data.Rows; r++)
        {
            weights[r] = (data.Weights?[r] ?? 1f) * perClass[(int)data.Targets[r]];
        }

        if (weights.All(w => w == 0))
        {
            throw Errors.Option(nameof(Options.ClassWeights), perClass, "must give a positive weight to a class that has rows");
        }

        return new TrainingData(data.Features, data.Targets, data.Rows, data.InputSize, data.TargetWidth, weights);
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
        return new TrainingCheckpoint { Network = model.Network, History = model.History };
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

    private TrainingData ReadRows(IChannel ch, RoleMappedData data, BackpropTask task, int inputSize, int outputSize, string purpose)
    {
        DataReader.Result read = DataReader.Read(Host, data, task, inputSize, outputSize);
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
