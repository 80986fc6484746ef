using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>What one column added by ML.NET's scorer holds, so the block cursor can make it from the network's outputs.</summary>
internal enum ScoredColumnKind
{
    /// <summary>A Single: the first output logit (binary classification's raw score).</summary>
    Logit,

    /// <summary>A Single: the first output (binary probability σ(z), or the regression value in label units).</summary>
    Output,

    /// <summary>A vector of Single: all outputs of the row (class probabilities, or regression values in label units).</summary>
    OutputVector,

    /// <summary>A Boolean: the binary scorer's PredictedLabel, logit &gt; 0 (its threshold 0 on Score).</summary>
    PositiveLogit,

    /// <summary>A key (UInt32): the multiclass scorer's PredictedLabel, 1 + the index of the largest output, 0 when all are NaN.</summary>
    ArgMaxKey,

    /// <summary>A vector of Single: all output logits of the row (multilabel Score).</summary>
    LogitVector,

    /// <summary>A vector of Boolean: logit &gt; 0 for each output (multilabel PredictedLabel, the binary rule per label).</summary>
    PositiveLogitVector,
}

/// <summary>
/// The column layout of a scored view, checked once per <see cref="BackpropTransformer.Transform(Microsoft.ML.IDataView)"/>:
/// the scorer's output schema must be the input's columns (same names, types, hidden flags, in order) followed by the
/// columns of the model's task, each of the type this library knows how to make exactly. When anything differs,
/// <see cref="TryCreate"/> returns null and the caller keeps ML.NET's own row-by-row scored view.
/// </summary>
internal sealed class BlockScoringPlan
{
    private BlockScoringPlan(DataViewSchema.Column features, int passthroughCount, ScoredColumnKind[] added)
    {
        Features = features;
        PassthroughCount = passthroughCount;
        Added = added;
    }

    /// <summary>The input's feature column (the visible column of that name, the one the scorer binds).</summary>
    public DataViewSchema.Column Features { get; }

    /// <summary>The number of input columns; output column i &lt; this count is input column i.</summary>
    public int PassthroughCount { get; }

    /// <summary>The kind of each added output column: output column <see cref="PassthroughCount"/> + j has kind Added[j].</summary>
    public IReadOnlyList<ScoredColumnKind> Added { get; }

    /// <summary>Checks the scored schema against the input schema and the model; null when the blocked path cannot be exact.</summary>
    /// <param name="model">The transformer's model.</param>
    /// <param name="featureColumnName">The transformer's feature column name.</param>
    /// <param name="input">The schema of the data given to Transform.</param>
    /// <param name="scored">The output schema of ML.NET's scorer on that data.</param>
    /// <returns>The plan, or null to keep the row-by-row scorer.</returns>
    public static BlockScoringPlan? TryCreate(BackpropModelParameters model, string featureColumnName, DataViewSchema input, DataViewSchema scored)
    {
        if (input.GetColumnOrNull(featureColumnName) is not { } features
            || features.Type is not VectorDataViewType { ItemType: NumberDataViewType, Size: var size } vector
            || vector.ItemType != NumberDataViewType.Single || size != model.InputSize
            || scored.Count <= input.Count)
        {
            return null;
        }

        for (int i = 0; i < input.Count; i++)
        {
            DataViewSchema.Column inner = input[i], outer = scored[i];
            if (inner.Name != outer.Name || inner.IsHidden != outer.IsHidden || !inner.Type.Equals(outer.Type))
            {
                return null;
            }
        }

        var added = new ScoredColumnKind[scored.Count - input.Count];
        for (int j = 0; j < added.Length; j++)
        {
            DataViewSchema.Column column = scored[input.Count + j];
            if (KindOf(model, column) is not { } kind)
            {
                return null;
            }

            added[j] = kind;
        }

        return new BlockScoringPlan(features, input.Count, added);
    }

    /// <summary>The kind of an added column, or null when it is not one this library makes for the model's task.</summary>
    private static ScoredColumnKind? KindOf(BackpropModelParameters model, DataViewSchema.Column column)
    {
        bool single = column.Type == NumberDataViewType.Single;
        bool vector = column.Type is VectorDataViewType v && v.ItemType == NumberDataViewType.Single && v.Size == model.OutputSize;
        return (model.Task, column.Name) switch
        {
            (BackpropTask.BinaryClassification, DefaultColumnNames.Score) when single && model.OutputSize == 1 => ScoredColumnKind.Logit,
            (BackpropTask.BinaryClassification, DefaultColumnNames.Probability) when single && model.OutputSize == 1 => ScoredColumnKind.Output,
            (BackpropTask.BinaryClassification, DefaultColumnNames.PredictedLabel)
                when column.Type == BooleanDataViewType.Instance && model.OutputSize == 1 => ScoredColumnKind.PositiveLogit,
            (BackpropTask.MulticlassClassification, DefaultColumnNames.Score) when vector => ScoredColumnKind.OutputVector,
            (BackpropTask.MulticlassClassification, DefaultColumnNames.PredictedLabel)
                when column.Type is KeyDataViewType { RawType: var raw, Count: var count } && raw == typeof(uint) && count == (ulong)model.OutputSize
                => ScoredColumnKind.ArgMaxKey,
            (BackpropTask.MultilabelClassification, DefaultColumnNames.Score) when vector => ScoredColumnKind.LogitVector,
            (BackpropTask.MultilabelClassification, DefaultColumnNames.Probability) when vector => ScoredColumnKind.OutputVector,
            (BackpropTask.MultilabelClassification, DefaultColumnNames.PredictedLabel)
                when column.Type is VectorDataViewType { ItemType: BooleanDataViewType, Size: var labels } && labels == model.OutputSize
                => ScoredColumnKind.PositiveLogitVector,
            (BackpropTask.Regression, DefaultColumnNames.Score) when single && model.OutputSize == 1 => ScoredColumnKind.Output,
            (BackpropTask.Regression, DefaultColumnNames.Score) when vector && model.OutputSize > 1 => ScoredColumnKind.OutputVector,
            _ => null,
        };
    }
}
