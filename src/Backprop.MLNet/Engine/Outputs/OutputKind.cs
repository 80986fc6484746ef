namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// The output layer of a <see cref="Network"/>: its activation together with the loss it is
/// trained with. Every pairing is canonical, so the output error is always δ = ŷ − y.
/// </summary>
internal enum OutputKind
{
    /// <summary>
    /// Logistic sigmoid outputs with binary cross-entropy (binary or multi-label classification).
    /// Targets: one 0/1 value per output.
    /// </summary>
    Sigmoid = 0,

    /// <summary>
    /// Softmax outputs with categorical cross-entropy (multiclass classification).
    /// Targets: one value per row, the class index 0..K−1 stored as a float.
    /// </summary>
    Softmax = 1,

    /// <summary>
    /// Identity outputs with the squared error ½·Σ(ŷ − y)² per row (regression).
    /// Targets: one value per output.
    /// </summary>
    Identity = 2,
}
