using Backprop.MLNet.MLNet;
using Backprop.MLNet.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Backprop.MLNet;

/// <summary>
/// Trains a multilayer perceptron (a fully connected neural network) by backpropagation and minibatch
/// gradient descent, for binary classification, multiclass classification, multilabel classification or regression.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// Append it to a pipeline like any ML.NET trainer, or create it through the catalogs
/// (`mlContext.BinaryClassification.Trainers.Backprop(...)` and the multiclass and regression twins). ML.NET has no
/// multilabel catalog: for several yes/no labels (a known-size vector of Boolean) use `new BackpropTrainer(mlContext, options)`.
///
/// ### Trainer characteristics
/// | | |
/// | -- | -- |
/// | Machine learning task | Binary classification, multiclass classification, multilabel classification, regression |
/// | Is normalization required? | No: the trainer standardises the features itself (<c>StandardizeFeatures</c>) and folds that into the model |
/// | Is caching required? | No: the data is read once into memory, dense or sparse |
/// | Required NuGet in addition to Microsoft.ML | Backprop.MLNet |
/// | Exportable to ONNX | Yes (`mlContext.Model.ConvertToOnnx`, package Microsoft.ML.OnnxConverter) |
///
/// ### Training algorithm details
/// Forward pass z = W·a + b, a = f(z) per layer; output and loss paired by task (sigmoid + log loss,
/// softmax + cross-entropy, one sigmoid per label + the sum over labels of log loss, identity + squared error), so the
/// output error is ŷ − y; the backward pass
/// applies the chain rule layer by layer; Adam or SGD (momentum, Nesterov) updates with an L2 penalty.
/// Defaults and semantics follow scikit-learn's MLPClassifier/MLPRegressor.
/// ]]></format>
/// </remarks>
public sealed partial class BackpropTrainer : TrainerEstimatorBase<BackpropTransformer, BackpropModelParameters>, IEstimator<BackpropTransformer>
{
    internal const string LoadName = "BackpropTrainer";

    private static readonly TrainerInfo TrainerInfoInstance = new(normalization: false, caching: false, supportValid: true, supportIncrementalTrain: true);

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
    /// <param name="labelColumnName">
    /// The label column: Boolean, a key type, a known-size vector of Boolean (multilabel) or Single/Double (the task is inferred from it).
    /// </param>
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

    /// <summary>What the trainer needs and supports: no normaliser (it standardises itself), no caching, a validation set, warm start.</summary>
    public override TrainerInfo Info => TrainerInfoInstance;

    /// <inheritdoc/>
    protected override PredictionKind PredictionKind => _options.Task switch
    {
        BackpropTask.BinaryClassification => PredictionKind.BinaryClassification,
        BackpropTask.MulticlassClassification => PredictionKind.MulticlassClassification,
        BackpropTask.MultilabelClassification => PredictionKind.MultiOutputRegression, // ML.NET has no multilabel kind (see the model's)
        _ => PredictionKind.Regression,
    };

    /// <summary>Trains a network on <paramref name="trainData"/>.</summary>
    /// <param name="trainData">The training data with the label and feature columns.</param>
    /// <returns>The fitted transformer.</returns>
    public new BackpropTransformer Fit(IDataView trainData) => FitCore(trainData, null, null);

    /// <summary>Trains on <paramref name="trainData"/> and reports the loss and score on <paramref name="validationData"/> after every epoch.</summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">
    /// Held-out data with the same columns; its loss and score (accuracy, R² for regression) go into every <see cref="EpochReport"/>
    /// (<see cref="EpochReport.ValidationLoss"/>, <see cref="EpochReport.ValidationScore"/>).
    /// </param>
    /// <returns>The fitted transformer.</returns>
    public BackpropTransformer Fit(IDataView trainData, IDataView validationData)
    {
        ArgumentNullException.ThrowIfNull(validationData);
        return FitCore(trainData, validationData, null);
    }

    /// <summary>Continues training from <paramref name="initialModel"/> (warm start) instead of a fresh initialisation.</summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="initialModel">
    /// A model with the same task, input size and layers as this trainer would build; for multiclass classification, trained on
    /// a label with the same key values in the same order (output i means key i): other classes are refused. A model saved
    /// before the classes were kept, or a label without key values, cannot be checked: the log then warns.
    /// </param>
    /// <exception cref="ArgumentException">The initial model does not fit the options or the data.</exception>
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
            case BackpropTask.MultilabelClassification:
                return
                [
                    new(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, trainerOutput),
                    new(DefaultColumnNames.Probability, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
                        new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation(true))),
                    new(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Vector, BooleanDataViewType.Instance, false, trainerOutput),
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
        // The training's thread limit goes on to scoring; a model loaded from a file starts without one (see the property).
        (ModelFormat.Contents contents, float[]? spare) = new ModelTrainer(Host, _options).Train(trainContext);
        return new BackpropModelParameters(Host, contents, foldInto: spare) { NumberOfThreads = _options.NumberOfThreads };
    }
}
