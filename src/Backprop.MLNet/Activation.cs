namespace Backprop.MLNet;

/// <summary>
/// The activation function applied by every hidden layer of the network
/// (scikit-learn's <c>activation</c> parameter of <c>MLPClassifier</c>/<c>MLPRegressor</c>).
/// </summary>
public enum Activation
{
    /// <summary>No-op activation, f(x) = x; useful for a linear bottleneck. scikit-learn: <c>'identity'</c>.</summary>
    Identity = 0,

    /// <summary>Logistic sigmoid, f(x) = 1 / (1 + e^(−x)). scikit-learn: <c>'logistic'</c>.</summary>
    Sigmoid = 1,

    /// <summary>Hyperbolic tangent, f(x) = tanh(x). scikit-learn: <c>'tanh'</c>.</summary>
    Tanh = 2,

    /// <summary>Rectified linear unit, f(x) = max(0, x). scikit-learn: <c>'relu'</c> (its default).</summary>
    Relu = 3,

    /// <summary>Leaky rectified linear unit, f(x) = x for x &gt; 0 and 0.01·x otherwise (not in scikit-learn; PyTorch's LeakyReLU default).</summary>
    LeakyRelu = 4,

    /// <summary>
    /// Gaussian error linear unit, tanh form: f(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (not in scikit-learn;
    /// PyTorch's GELU(approximate='tanh')).
    /// </summary>
    Gelu = 5,
}
