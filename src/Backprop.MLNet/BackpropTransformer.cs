using Backprop.MLNet;
using Backprop.MLNet.MLNet;
using Backprop.MLNet.MLNet.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(BackpropTransformer), typeof(BackpropTransformer), null, typeof(SignatureLoadModel),
    "Backprop Prediction Transformer", BackpropTransformer.LoaderSignature)]

namespace Backprop.MLNet;

/// <summary>
/// The fitted <see cref="BackpropTrainer"/>: scores a feature column with the trained network and adds the
/// columns ML.NET's evaluators expect for its task (binary: Score, Probability, PredictedLabel; multiclass:
/// Score, PredictedLabel; regression: Score; multilabel: Score, Probability and PredictedLabel, each a vector with one
/// value per label). Saved and loaded by <c>mlContext.Model.Save/Load</c> like ML.NET's own prediction transformers;
/// safe to use from many threads at once.
/// </summary>
/// <remarks>
/// Built the way ML.NET builds its Binary/Multiclass/RegressionPredictionTransformer, through the internals
/// bridge (see MLNet/IgnoresAccessChecksTo.cs): the base class keeps the model, the training schema and the
/// feature column, and one of ML.NET's scorers, picked by the task, makes the output columns (for multilabel, which
/// ML.NET has no scorer for, its generic scorer with this library's mapper).
/// </remarks>
public sealed class BackpropTransformer : SingleFeaturePredictionTransformerBase<BackpropModelParameters>, ITransformer
{
    internal const string LoaderSignature = "BackpropPredXfer";
    private const string RegistrationName = nameof(BackpropTransformer);

    private readonly string? _labelColumnName;

    internal BackpropTransformer(IHostEnvironment env, BackpropModelParameters model, DataViewSchema trainSchema,
        string featureColumnName, string? labelColumnName)
        : base(Contracts.CheckRef(env, nameof(env)).Register(RegistrationName), model, trainSchema, featureColumnName)
    {
        _labelColumnName = labelColumnName;
        SetScorer();
    }

    /// <summary>
    /// The loader ML.NET calls, by the signature stored in the model file. (ML.NET's catalog refuses a type
    /// with both a static Create and a loading constructor of the same visibility, so there is only this.)
    /// </summary>
    private BackpropTransformer(IHostEnvironment env, ModelLoadContext ctx)
        : base(CheckedHost(env, ctx), ctx)
    {
        // *** Binary format *** (version FirstVersion, 0x00010001)
        // <base>: the model (sub-model "Model"), the training schema (stream "TrainSchema"), the feature column name
        // string id or -1: the label column name of the training data, or none
        _labelColumnName = ctx.LoadStringOrNull();
        if (_labelColumnName is not null && !TrainSchema.TryGetColumnIndex(_labelColumnName, out _))
        {
            throw Errors.Corrupt("the label column name", _labelColumnName, "a column of the saved training schema");
        }

        SetScorer();
    }

    /// <summary>
    /// This transformer with its model's optimizer state left out (<see cref="BackpropModelParameters.WithoutOptimizerState"/>):
    /// the same columns and predictions, bit for bit, and a model file about a third (Adam) or half (SGD) the size. In a
    /// chain, put it in the last transformer's place:
    /// <c>new TransformerChain&lt;ITransformer&gt;([.. chain.Take(chain.Count() - 1), backprop.WithoutOptimizerState()])</c>.
    /// </summary>
    /// <returns>The new transformer, or this one when its model has no optimizer state.</returns>
    public BackpropTransformer WithoutOptimizerState()
    {
        BackpropModelParameters model = Model.WithoutOptimizerState();
        return ReferenceEquals(model, Model) ? this : new BackpropTransformer(Host, model, TrainSchema, FeatureColumnName, _labelColumnName);
    }

    /// <summary>
    /// False forces ML.NET's row-by-row scorer in <see cref="Transform(IDataView)"/> (tests compare the two paths).
    /// </summary>
    internal bool BlockScoring { get; set; } = true;

    /// <summary>
    /// Scores <paramref name="input"/>: the columns, types, annotations and values of ML.NET's scorer for the task,
    /// computed in blocks of rows by the batched network (see <see cref="BlockScoringDataView"/>) whenever that is exact.
    /// </summary>
    /// <param name="input">The data to score; it must have the feature column the model was trained on.</param>
    /// <returns>The input columns followed by the scored columns.</returns>
    public new IDataView Transform(IDataView input)
    {
        IDataView scored = base.Transform(input);
        return BlockScoring ? BlockScoringDataView.WrapOrKeep(Model, FeatureColumnName, input, scored) : scored;
    }

    /// <summary>ML.NET's chains and tools call the transformer through ITransformer: this sends them to <see cref="Transform(IDataView)"/>.</summary>
    IDataView ITransformer.Transform(IDataView input) => Transform(input);

    private static IHost CheckedHost(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return env.Register(RegistrationName);
    }

    /// <summary>Version history: 0x00010001 first version (the only one).</summary>
    private const uint FirstVersion = 0x00010001;

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "BPROPXFR",
        verWrittenCur: FirstVersion,
        verReadableCur: FirstVersion,
        verWeCanReadBack: FirstVersion,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(BackpropTransformer).Assembly.FullName);

    /// <inheritdoc/>
    protected override void SaveCore(ModelSaveContext ctx)
    {
        ctx.SetVersionInfo(GetVersionInfo());
        base.SaveCore(ctx);
        ctx.SaveStringOrNull(_labelColumnName);
    }

    private void SetScorer()
    {
        var trainData = new EmptyDataView(Host, TrainSchema);
        switch (Model.Task)
        {
            case BackpropTask.BinaryClassification:
                {
                    // ML.NET's binary scorer wants a predictor that maps features to (score, probability):
                    // BinaryView gives the model that face, so Score is the logit and Probability its sigmoid.
                    BindableMapper = new SchemaBindableBinaryPredictorWrapper(new BinaryView(Model));
                    var schema = new RoleMappedSchema(TrainSchema, _labelColumnName, FeatureColumnName);
                    var args = new BinaryClassifierScorer.Arguments { Threshold = 0f, ThresholdColumn = DefaultColumnNames.Score };
                    Scorer = new BinaryClassifierScorer(Host, args, trainData, BindableMapper.Bind(Host, schema), schema);
                    break;
                }

            case BackpropTask.MulticlassClassification:
                {
                    // The multiclass scorer reads the label's key values from the training schema, so PredictedLabel
                    // is the label's own key type and MapKeyToValue maps it back.
                    var schema = new RoleMappedSchema(TrainSchema, _labelColumnName, FeatureColumnName);
                    var args = new MulticlassClassificationScorer.Arguments();
                    Scorer = new MulticlassClassificationScorer(Host, args, trainData, BindableMapper.Bind(Host, schema), schema);
                    break;
                }

            case BackpropTask.MultilabelClassification:
                // ML.NET has no multilabel scorer: its generic scorer passes through the columns of the mapper it is given,
                // and MultilabelMapper makes Score, Probability and PredictedLabel, each a vector of one value per label.
                BindableMapper = new MultilabelMapper(Model);
                Scorer = GetGenericScorer();
                break;

            default:
                Scorer = GetGenericScorer();
                break;
        }
    }
}
