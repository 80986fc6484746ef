using Backprop.MLNet.Engine.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// The scorer's mapper of a multilabel model. ML.NET has no multilabel scorer, so ML.NET's generic scorer, which passes
/// through every column its mapper makes, is given this mapper: from the feature column it makes <c>Score</c> (the K
/// output logits), <c>Probability</c> (their sigmoids, the network's outputs) and <c>PredictedLabel</c> (a vector of K
/// Boolean, label i true when Score[i] &gt; 0: the threshold 0 on the logit that the binary scorer applies, so NaN is false).
/// Used only while binding; never saved (the transformer saves the model and rebuilds this when loaded). Exported to ONNX
/// as the network's Gemm layers, then Sigmoid (Probability) and Greater than 0 (PredictedLabel) on the logits (see
/// BackpropModelParameters.Onnx.cs).
/// </summary>
/// <param name="model">A multilabel model.</param>
internal sealed class MultilabelMapper(BackpropModelParameters model) : ISchemaBindableMapper, IBindableCanSaveOnnx
{
    /// <summary>
    /// The score column kind annotation of the three columns. ML.NET names no multilabel kind, so this one is this library's;
    /// no ML.NET evaluator picks these columns up by it.
    /// </summary>
    public const string ScoreColumnKind = "MultilabelClassification";

    private readonly BackpropModelParameters _model = model;
    private readonly DataViewSchema _outputSchema = OutputSchema(model.OutputSize);

    /// <summary>Binds to a schema whose feature column is a vector of Single of the model's input size.</summary>
    /// <param name="env">The environment.</param>
    /// <param name="schema">The role-mapped input schema (the feature role set).</param>
    public ISchemaBoundMapper Bind(IHostEnvironment env, RoleMappedSchema schema)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(schema, nameof(schema));
        DataViewSchema.Column features = schema.Feature ?? throw env.Except("A multilabel Backprop model needs a feature column.");
        var expected = new VectorDataViewType(NumberDataViewType.Single, _model.InputSize);
        if (!features.Type.Equals(expected))
        {
            // Worded as ML.NET's own scorers word it.
            throw env.Except("Incompatible features column type: '{0}' vs '{1}'", features.Type, expected);
        }

        return new Bound(this, schema);
    }

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => true;

    /// <summary>Writes the network and the three columns; false (nothing written) when the features are not in the graph.</summary>
    bool IBindableCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, RoleMappedSchema schema, string[] outputNames)
    {
        Contracts.CheckValue(ctx, nameof(ctx));
        Contracts.CheckValue(schema, nameof(schema));
        string features = schema.Feature!.Value.Name;
        return ctx.ContainsColumn(features) && _model.SaveMultilabelAsOnnx(ctx, outputNames, ctx.GetVariableName(features));
    }

    /// <summary>Score, Probability and PredictedLabel: vectors of <paramref name="labels"/>, with the scorers' annotations.</summary>
    private static DataViewSchema OutputSchema(int labels)
    {
        DataViewSchema.Annotations Annotations(string valueKind, bool normalized)
        {
            var builder = new DataViewSchema.Annotations.Builder();
            if (normalized)
            {
                builder.Add(AnnotationUtils.Kinds.IsNormalized, BooleanDataViewType.Instance, (ref bool value) => value = true);
            }

            builder.Add(AnnotationUtils.Kinds.ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = ScoreColumnKind.AsMemory());
            builder.Add(AnnotationUtils.Kinds.ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = valueKind.AsMemory());
            return builder.ToAnnotations();
        }

        var schema = new DataViewSchema.Builder();
        schema.AddColumn(DefaultColumnNames.Score, new VectorDataViewType(NumberDataViewType.Single, labels),
            Annotations(AnnotationUtils.Const.ScoreValueKind.Score, normalized: false));
        schema.AddColumn(DefaultColumnNames.Probability, new VectorDataViewType(NumberDataViewType.Single, labels),
            Annotations(AnnotationUtils.Const.ScoreValueKind.Probability, normalized: true));
        schema.AddColumn(DefaultColumnNames.PredictedLabel, new VectorDataViewType(BooleanDataViewType.Instance, labels),
            Annotations(AnnotationUtils.Const.ScoreValueKind.PredictedLabel, normalized: false));
        return schema.ToSchema();
    }

    /// <summary>The mapper bound to one input schema: makes the three columns of a row from its feature column.</summary>
    private sealed class Bound(MultilabelMapper parent, RoleMappedSchema schema) : ISchemaBoundRowMapper
    {
        public RoleMappedSchema InputRoleMappedSchema => schema;

        public DataViewSchema InputSchema => schema.Schema;

        public DataViewSchema OutputSchema => parent._outputSchema;

        public ISchemaBindableMapper Bindable => parent;

        public IEnumerable<KeyValuePair<RoleMappedSchema.ColumnRole, string>> GetInputColumnRoles()
        {
            yield return RoleMappedSchema.ColumnRole.Feature.Bind(schema.Feature!.Value.Name);
        }

        /// <summary>The feature column when any of the three columns is asked for, else nothing.</summary>
        public IEnumerable<DataViewSchema.Column> GetDependenciesForNewColumns(IEnumerable<DataViewSchema.Column> dependingColumns) =>
            dependingColumns.Any() ? [schema.Feature!.Value] : [];

        /// <summary>
        /// A row whose active columns are computed from one forward pass per input row, shared by the three columns (the
        /// pass is run again when the input row's position changes, as ML.NET's binary mapper caches its two columns).
        /// </summary>
        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            var getters = new Delegate[OutputSchema.Count];
            if (activeColumns.Any())
            {
                var row = new RowCache(parent._model, input, schema.Feature!.Value);
                foreach (DataViewSchema.Column column in activeColumns)
                {
                    getters[column.Index] = column.Index switch
                    {
                        0 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) => ScoreBlock.Dense(row.Logits(), ref dst)),
                        1 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) => ScoreBlock.Dense(row.Probabilities(), ref dst)),
                        _ => (ValueGetter<VBuffer<bool>>)((ref VBuffer<bool> dst) => ScoreBlock.PositiveLabels(row.Logits(), ref dst)),
                    };
                }
            }

            return new SimpleRow(OutputSchema, input, getters);
        }
    }

    /// <summary>One forward pass per input row, kept while the row's position does not change.</summary>
    private sealed class RowCache
    {
        private readonly DataViewRow _input;
        private readonly ValueGetter<VBuffer<float>> _getFeatures;
        private readonly RowScorer _scorer;
        private readonly float[] _logits;
        private readonly float[] _probabilities;
        private VBuffer<float> _features;
        private long _position = -1;

        public RowCache(BackpropModelParameters model, DataViewRow input, DataViewSchema.Column features)
        {
            _input = input;
            _getFeatures = input.GetGetter<VBuffer<float>>(features);
            _scorer = new RowScorer(model);
            _logits = new float[model.OutputSize];
            _probabilities = new float[model.OutputSize];
        }

        public ReadOnlySpan<float> Logits()
        {
            Ensure();
            return _logits;
        }

        public ReadOnlySpan<float> Probabilities()
        {
            Ensure();
            return _probabilities;
        }

        private void Ensure()
        {
            if (_position == _input.Position)
            {
                return;
            }

            _getFeatures(ref _features);
            ForwardResult result = _scorer.Forward(_features);
            result.Logits.CopyTo(_logits);
            result.Outputs.CopyTo(_probabilities);
            _position = _input.Position;
        }
    }
}
