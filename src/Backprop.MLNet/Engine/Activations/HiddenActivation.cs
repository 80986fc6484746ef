namespace Backprop.MLNet.Engine.Activations;

/// <summary>
/// A hidden-layer activation function f paired with its derivative f′. Implementations are
/// stateless singletons, safe to share between threads.
/// </summary>
internal abstract class HiddenActivation
{
    /// <summary>The public enum value this function implements.</summary>
    public abstract ActivationKind Kind { get; }

    /// <summary>
    /// Whether <see cref="MultiplyByDerivative"/> needs the pre-activations z rather than the activations f(z)
    /// (true for a function that is not invertible, such as GELU; training then keeps z).
    /// </summary>
    public virtual bool DerivativeFromPreActivation => false;

    /// <summary>Replaces every pre-activation z in <paramref name="values"/> by f(z), in place.</summary>
    /// <param name="values">Pre-activations on entry, activations on return.</param>
    public abstract void Apply(Span<float> values);

    /// <summary>
    /// The activation training applies: this one, unless the function has a form of its own for training (tanh and sigmoid:
    /// on the engine's exponential, compiled optimised at first call, where <see cref="Apply"/> keeps
    /// System.Numerics.Tensors' routines, whose bits saved models' predictions are held to and whose tiered compilation the
    /// first epoch paid for). The same <see cref="Kind"/> and derivative; values within a few units in the last place.
    /// </summary>
    public virtual HiddenActivation InTraining => this;

    /// <summary>
    /// Multiplies every element of <paramref name="delta"/> by f′ evaluated at the same position,
    /// with f′ expressed from the activation output a = f(z) (so no pre-activation is kept).
    /// </summary>
    /// <param name="activated">The activations a = f(z); same length as <paramref name="delta"/>.</param>
    /// <param name="delta">The back-propagated error ∂L/∂a on entry, ∂L/∂z on return.</param>
    public abstract void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta);

    /// <summary>Returns the shared instance implementing <paramref name="kind"/>.</summary>
    /// <param name="kind">The activation to look up.</param>
    /// <exception cref="ArgumentOutOfRangeException">Unknown enum value.</exception>
    public static HiddenActivation For(ActivationKind kind) => kind switch
    {
        ActivationKind.Identity => IdentityActivation.Instance,
        ActivationKind.Sigmoid => SigmoidActivation.Instance,
        ActivationKind.Tanh => TanhActivation.Instance,
        ActivationKind.Relu => ReluActivation.Instance,
        ActivationKind.LeakyRelu => LeakyReluActivation.Instance,
        ActivationKind.Gelu => GeluActivation.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown hidden activation."),
    };

    /// <summary>Throws when the two spans passed to <see cref="MultiplyByDerivative"/> differ in length.</summary>
    /// <param name="activated">The activations.</param>
    /// <param name="delta">The errors.</param>
    protected static void CheckSameLength(ReadOnlySpan<float> activated, Span<float> delta)
    {
        if (activated.Length != delta.Length)
        {
            throw new ArgumentException("The activations and the errors must have the same length.", nameof(delta));
        }
    }
}
