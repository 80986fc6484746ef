using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// One example: a feature vector and a class for an ML.NET key column. LoadFromEnumerable stores a key-typed uint
/// field as the 0-based class and adds 1 itself (class c becomes key value c + 1; 0 stays for "missing"), so the
/// field holds the class c, not the key.
/// </summary>
internal sealed class LabeledRow
{
    /// <summary>The features; the schema gives the vector its known size.</summary>
    public float[] Features { get; set; } = [];

    /// <summary>The class, 0-based (ML.NET turns it into the 1-based key).</summary>
    public uint Label { get; set; }
}

/// <summary>What a multiclass model outputs for one row.</summary>
internal sealed class MulticlassPrediction
{
    /// <summary>The class probabilities.</summary>
    public float[] Score { get; set; } = [];

    /// <summary>The predicted class as a key value (1-based).</summary>
    public uint PredictedLabel { get; set; }
}

/// <summary>A labelled data set held in memory, turned into an <see cref="IDataView"/> with a known-size Features vector and a key label.</summary>
/// <param name="Features">One array per row, all of length <paramref name="FeatureCount"/>.</param>
/// <param name="Classes">0-based class of each row.</param>
/// <param name="FeatureCount">Features per row.</param>
/// <param name="ClassCount">Number of classes (the key type's count).</param>
internal sealed record LabeledData(float[][] Features, byte[] Classes, int FeatureCount, int ClassCount)
{
    /// <summary>Number of rows.</summary>
    public int Rows => Features.Length;

    /// <summary>The schema: Features a vector of <see cref="FeatureCount"/> Single, Label a key of <see cref="ClassCount"/> values.</summary>
    public SchemaDefinition Schema()
    {
        var schema = SchemaDefinition.Create(typeof(LabeledRow));
        schema[nameof(LabeledRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
        schema[nameof(LabeledRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), ClassCount);
        return schema;
    }

    /// <summary>The rows as <see cref="LabeledRow"/>s (sharing the feature arrays).</summary>
    public LabeledRow[] ToRows() =>
        Enumerable.Range(0, Rows).Select(i => new LabeledRow { Features = Features[i], Label = Classes[i] }).ToArray();

    /// <summary>The rows as a data view.</summary>
    /// <param name="mlContext">The context.</param>
    public IDataView ToDataView(MLContext mlContext) => mlContext.Data.LoadFromEnumerable(ToRows(), Schema());
}
