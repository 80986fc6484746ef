using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// Checks the trainer's input columns before ML.NET's own (terser) schema checks run, so that a wrong or
/// missing column gets a message with the column, the type found and the fix.
/// </summary>
internal static class ColumnChecks
{
    private const string FeatureFix = "Build it with mlContext.Transforms.Concatenate(\"Features\", ...) over numeric columns " +
        "(convert others with mlContext.Transforms.Conversion.ConvertType(..., DataKind.Single)).";

    /// <summary>Checks the columns of real data.</summary>
    public static void Check(BackpropTrainer.Options options, DataViewSchema schema, string what)
    {
        DataViewSchema.Column features = schema.GetColumnOrNull(options.FeatureColumnName)
            ?? throw Errors.MissingColumn("Feature", options.FeatureColumnName, schema.Select(c => c.Name));
        if (features.Type is not VectorDataViewType { ItemType: var item, IsKnownSize: true } || item != NumberDataViewType.Single)
        {
            throw Errors.ColumnType("Feature", features.Name, features.Type, $"BackpropTrainer needs a known-size vector of Single in the {what}", FeatureFix);
        }

        DataViewSchema.Column label = schema.GetColumnOrNull(options.LabelColumnName)
            ?? throw Errors.MissingColumn("Label", options.LabelColumnName, schema.Select(c => c.Name));
        LabelKinds.Resolve(options.Task, label.Name, label.Type);

        if (options.ExampleWeightColumnName is string weightName)
        {
            DataViewSchema.Column weight = schema.GetColumnOrNull(weightName)
                ?? throw Errors.MissingColumn("ExampleWeight", weightName, schema.Select(c => c.Name));
            if (weight.Type != NumberDataViewType.Single)
            {
                throw Errors.ColumnType("ExampleWeight", weight.Name, weight.Type, "example weights must be Single",
                    $"Convert it with mlContext.Transforms.Conversion.ConvertType(\"{weight.Name}\", outputKind: DataKind.Single).");
            }
        }
    }

    /// <summary>Checks the columns of a schema shape (estimator-level schema propagation).</summary>
    public static void Check(BackpropTrainer.Options options, SchemaShape shape)
    {
        if (!shape.TryFindColumn(options.FeatureColumnName, out SchemaShape.Column features))
        {
            throw Errors.MissingColumn("Feature", options.FeatureColumnName, shape.Select(c => c.Name));
        }

        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single || features.IsKey)
        {
            throw Errors.ColumnType("Feature", features.Name, features.GetTypeString(), "BackpropTrainer needs a known-size vector of Single", FeatureFix);
        }

        if (!shape.TryFindColumn(options.LabelColumnName, out SchemaShape.Column label))
        {
            throw Errors.MissingColumn("Label", options.LabelColumnName, shape.Select(c => c.Name));
        }

        LabelKinds.Resolve(options.Task, label);

        if (options.ExampleWeightColumnName is string weightName)
        {
            if (!shape.TryFindColumn(weightName, out SchemaShape.Column weight))
            {
                throw Errors.MissingColumn("ExampleWeight", weightName, shape.Select(c => c.Name));
            }

            if (weight.Kind != SchemaShape.Column.VectorKind.Scalar || weight.ItemType != NumberDataViewType.Single)
            {
                throw Errors.ColumnType("ExampleWeight", weight.Name, weight.GetTypeString(), "example weights must be Single",
                    $"Convert it with mlContext.Transforms.Conversion.ConvertType(\"{weight.Name}\", outputKind: DataKind.Single).");
            }
        }
    }
}
