namespace Backprop.MLNet;

/// <summary>The machine-learning task a <see cref="BackpropTrainer"/> solves; it fixes the output layer and the loss.</summary>
public enum BackpropTask
{
    /// <summary>
    /// Infer the task from the label column's type when training: Boolean → <see cref="BinaryClassification"/>,
    /// a key type → <see cref="MulticlassClassification"/>, Single or Double (or a known-size vector of Single) →
    /// <see cref="Regression"/>, a known-size vector of Boolean → <see cref="MultilabelClassification"/>.
    /// </summary>
    Auto = 0,

    /// <summary>Two classes (Boolean label): one sigmoid output unit and binary cross-entropy (log loss).</summary>
    BinaryClassification = 1,

    /// <summary>K classes (key-typed label with K values): K softmax output units and cross-entropy.</summary>
    MulticlassClassification = 2,

    /// <summary>A real-valued target (Single or Double label): an identity output unit and squared error.</summary>
    Regression = 3,

    /// <summary>
    /// K independent yes/no labels per row (a known-size vector of K Boolean values): K sigmoid output units and the sum
    /// over the labels of binary cross-entropy (scikit-learn's <c>MLPClassifier</c> on a multilabel indicator target).
    /// Outputs: <c>Score</c> (the K logits), <c>Probability</c> (their sigmoids) and <c>PredictedLabel</c> (a vector of K
    /// Boolean, label i true when Score[i] &gt; 0, the binary task's rule).
    /// </summary>
    MultilabelClassification = 4,
}
