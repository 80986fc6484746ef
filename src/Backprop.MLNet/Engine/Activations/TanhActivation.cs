using System.Numerics.Tensors;

namespace Backprop.MLNet.Engine.Activations;

/// <summary>The hyperbolic tangent activation: f(z) = tanh(z), f′ = 1 − a² (scikit-learn <c>'tanh'</c>).</summary>
internal sealed class TanhActivation : HiddenActivation
{
    /// <summary>The shared instance.</summary>
    public static readonly TanhActivation Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private TanhActivation()
    {
    }

    /// <inheritdoc />
    public override ActivationKind Kind => ActivationKind.Tanh;

    /// <inheritdoc />
    public override void Apply(Span<float> values) => TensorPrimitives.Tanh(values, values);

    /// <inheritdoc />
    public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta)
    {
        CheckSameLength(activated, delta);
        for (int i = 0; i < delta.Length; i++)
        {
            float a = activated[i];
            delta[i] *= 1f - (a * a);
        }
    }
}
