namespace Backprop.MLNet;

/// <summary>The machine-learning task a <see cref="BackpropTrainer"/> solves; it fixes the output layer and the loss.</summary>
public enum BackpropTask
{
    /// <summary>
    /// Infer the task from the label column's type when training: Boolean → <see cref="BinaryClassification"/>,
    /// a key type → <see cref="MulticlassClassification"/>, Single or Double → <see cref="Regression"/>.
    /// </summary>
    Auto = 0,

    /// <summary>Two classes (Boolean label): one sigmoid output unit and binary cross-entropy (log loss).</summary>
    BinaryClassification = 1,

    /// <summary>K classes (key-typed label with K values): K softmax output units and cross-entropy.</summary>
    MulticlassClassification = 2,

    /// <summary>A real-valued target (Single or Double label): an identity output unit and squared error.</summary>
    Regression = 3,
}
