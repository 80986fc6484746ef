namespace Backprop.MLNet;

/// <summary>How <see cref="BackpropTrainer"/> holds the training rows' features in memory.</summary>
public enum FeatureStorage
{
    /// <summary>
    /// Sparse when the feature vectors are mostly zeros (at most a quarter of the values non-zero, as text and one-hot
    /// features are), dense otherwise; decided from the rows read.
    /// </summary>
    Auto = 0,

    /// <summary>One float per feature of every row: rows × features × 4 bytes. Fastest for dense data.</summary>
    Dense = 1,

    /// <summary>
    /// Compressed sparse rows: only the non-zero values and their indices, 8 bytes each; the first layer's forward pass and
    /// weight gradient run over the non-zeros only.
    /// </summary>
    Sparse = 2,
}
