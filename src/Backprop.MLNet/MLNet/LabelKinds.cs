using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet;

/// <summary>Which label types each task takes, and the task that <see cref="BackpropTask.Auto"/> infers.</summary>
internal static class LabelKinds
{
    private const string Types = "BackpropTrainer needs a Boolean label (binary classification), a key-typed label " +
        "(multiclass classification), a known-size vector of Boolean (multilabel classification) or a Single/Double label " +
        "or known-size vector of Single (regression)";

    /// <summary>Resolves the task for a label column of the training data, or throws naming the column and its type.</summary>
    public static BackpropTask Resolve(BackpropTask requested, string name, DataViewType type)
    {
        BackpropTask found = type switch
        {
            BooleanDataViewType => BackpropTask.BinaryClassification,
            KeyDataViewType => BackpropTask.MulticlassClassification,
            NumberDataViewType n when n == NumberDataViewType.Single || n == NumberDataViewType.Double => BackpropTask.Regression,
            VectorDataViewType { IsKnownSize: true } v when v.ItemType == NumberDataViewType.Single => BackpropTask.Regression,
            VectorDataViewType { IsKnownSize: true, ItemType: BooleanDataViewType } => BackpropTask.MultilabelClassification,
            VectorDataViewType { IsKnownSize: false, ItemType: BooleanDataViewType } => UnknownSizeMultilabel(requested, name, type),
            _ => BackpropTask.Auto,
        };
        return Check(requested, found, name, type);
    }

    /// <summary>The same check on a schema shape (used by <see cref="BackpropTrainer.GetOutputSchema(SchemaShape)"/>).</summary>
    public static BackpropTask Resolve(BackpropTask requested, SchemaShape.Column column)
    {
        BackpropTask found = BackpropTask.Auto;
        if (column.Kind == SchemaShape.Column.VectorKind.Scalar)
        {
            if (column.IsKey)
            {
                found = BackpropTask.MulticlassClassification;
            }
            else if (column.ItemType is BooleanDataViewType)
            {
                found = BackpropTask.BinaryClassification;
            }
            else if (column.ItemType == NumberDataViewType.Single || column.ItemType == NumberDataViewType.Double)
            {
                found = BackpropTask.Regression;
            }
        }
        else if (column.Kind == SchemaShape.Column.VectorKind.Vector && !column.IsKey && column.ItemType == NumberDataViewType.Single)
        {
            found = BackpropTask.Regression; // multi-output regression
        }
        else if (column.Kind == SchemaShape.Column.VectorKind.Vector && column.ItemType is BooleanDataViewType)
        {
            found = BackpropTask.MultilabelClassification;
        }
        else if (column.Kind == SchemaShape.Column.VectorKind.VariableVector && column.ItemType is BooleanDataViewType)
        {
            found = UnknownSizeMultilabel(requested, column.Name, column.GetTypeString());
        }

        return Check(requested, found, column.Name, column.GetTypeString());
    }

    /// <summary>
    /// A vector of Boolean whose size is not known: the number of output units would be unknown. Refused for multilabel
    /// classification (asked for, or inferred); for another task the usual mismatch message follows.
    /// </summary>
    private static BackpropTask UnknownSizeMultilabel(BackpropTask requested, string name, object type) =>
        requested is BackpropTask.Auto or BackpropTask.MultilabelClassification
            ? throw Errors.ColumnType("Label", name, type,
                "multilabel classification needs a known-size vector of Boolean (one slot per label, so the network knows its number of outputs), and this vector's size is not known",
                $"Give it a size: [VectorType(3)] on a bool[] property loaded with mlContext.Data.LoadFromEnumerable, a SchemaDefinition whose column has " +
                $"ColumnType = new VectorDataViewType(BooleanDataViewType.Instance, 3), or build it from Boolean columns with mlContext.Transforms.Concatenate(\"{name}\", ...).")
            : BackpropTask.Auto;

    private static BackpropTask Check(BackpropTask requested, BackpropTask found, string name, object type)
    {
        if (requested == BackpropTask.Auto)
        {
            return found != BackpropTask.Auto
                ? found
                : throw Errors.ColumnType("Label", name, type, Types, Fix(BackpropTask.Auto, name));
        }

        if (found == requested)
        {
            return requested;
        }

        string expected = requested switch
        {
            BackpropTask.BinaryClassification => "binary classification needs a Boolean label",
            BackpropTask.MulticlassClassification => "multiclass classification needs a key-typed label",
            BackpropTask.MultilabelClassification => "multilabel classification needs a known-size vector of Boolean, one slot per label",
            _ => "regression needs a Single or Double label, or a known-size vector of Single for several outputs",
        };
        throw Errors.ColumnType("Label", name, type, expected, Fix(requested, name));
    }

    private static string Fix(BackpropTask task, string name) => task switch
    {
        BackpropTask.BinaryClassification =>
            $"Convert it, e.g. mlContext.Transforms.Conversion.ConvertType(\"{name}\", outputKind: DataKind.Boolean), or load it as bool.",
        BackpropTask.MulticlassClassification =>
            $"Add mlContext.Transforms.Conversion.MapValueToKey(\"{name}\") before the trainer (and MapKeyToValue(\"PredictedLabel\") after it).",
        BackpropTask.Regression =>
            $"Convert it, e.g. mlContext.Transforms.Conversion.ConvertType(\"{name}\", outputKind: DataKind.Single).",
        BackpropTask.MultilabelClassification =>
            $"Build it from Boolean columns with mlContext.Transforms.Concatenate(\"{name}\", ...), or load a bool[] property with [VectorType(n)].",
        _ => "For classes given as text or numbers use mlContext.Transforms.Conversion.MapValueToKey; for true/false load a bool; " +
            "for several true/false labels a known-size vector of bool; for a real-valued target load a float.",
    };
}
