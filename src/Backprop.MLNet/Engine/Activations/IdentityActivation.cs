namespace Backprop.MLNet.Engine.Activations;

/// <summary>The identity activation: f(z) = z, f′ = 1 (scikit-learn <c>'identity'</c>).</summary>
internal sealed class IdentityActivation : HiddenActivation
{
    /// <summary>The shared instance.</summary>
    public static readonly IdentityActivation Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private IdentityActivation()
    {
    }

    /// <inheritdoc />
    public override ActivationKind Kind => ActivationKind.Identity;

    /// <inheritdoc />
    public override void Apply(Span<float> values)
    {
        // f(z) = z: nothing to do.
    }

    /// <inheritdoc />
    public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta)
    {
        // f'(z) = 1: nothing to do.
        CheckSameLength(activated, delta);
    }
}
