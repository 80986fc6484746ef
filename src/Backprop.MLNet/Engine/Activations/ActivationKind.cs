namespace Backprop.MLNet.Engine.Activations;

/// <summary>
/// The hidden-layer activation functions the engine implements (see <see cref="HiddenActivation.For"/>). The values are
/// the codes model files store, so they never change; the adapter maps the public <c>Activation</c> enum onto them.
/// </summary>
internal enum ActivationKind
{
    /// <summary>f(z) = z.</summary>
    Identity = 0,

    /// <summary>f(z) = 1 / (1 + e^(−z)).</summary>
    Sigmoid = 1,

    /// <summary>f(z) = tanh(z).</summary>
    Tanh = 2,

    /// <summary>f(z) = max(0, z).</summary>
    Relu = 3,

    /// <summary>f(z) = z for z &gt; 0, 0.01·z otherwise.</summary>
    LeakyRelu = 4,

    /// <summary>GELU, tanh form.</summary>
    Gelu = 5,
}
