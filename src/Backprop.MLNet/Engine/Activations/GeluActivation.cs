namespace Backprop.MLNet.Engine.Activations;

/// <summary>
/// The Gaussian error linear unit in its tanh form (PyTorch's <c>GELU(approximate='tanh')</c>):
/// f(z) = ½·z·(1 + tanh(u)), u = √(2/π)·(z + 0.044715·z³), with
/// f′(z) = ½·(1 + tanh u) + ½·z·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·z²).
/// GELU is not monotonic, so its derivative cannot be read off the activation: it is computed from the
/// pre-activation z, which training keeps for this function (<see cref="DerivativeFromPreActivation"/>).
/// </summary>
internal sealed class GeluActivation : HiddenActivation
{
    /// <summary>√(2/π).</summary>
    public const float C = 0.7978845608028654f;

    /// <summary>The cubic coefficient of the tanh form.</summary>
    public const float K = 0.044715f;

    /// <summary>The shared instance.</summary>
    public static readonly GeluActivation Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private GeluActivation()
    {
    }

    /// <inheritdoc />
    public override ActivationKind Kind => ActivationKind.Gelu;

    /// <inheritdoc />
    public override bool DerivativeFromPreActivation => true;

    /// <inheritdoc />
    public override void Apply(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float z = values[i];
            float t = MathF.Tanh(C * (z + (K * z * z * z)));
            values[i] = 0.5f * z * (1f + t);
        }
    }

    /// <inheritdoc />
    /// <remarks>Here <paramref name="activated"/> holds the pre-activations z (see <see cref="DerivativeFromPreActivation"/>).</remarks>
    public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta)
    {
        CheckSameLength(activated, delta);
        for (int i = 0; i < delta.Length; i++)
        {
            float z = activated[i];
            float t = MathF.Tanh(C * (z + (K * z * z * z)));
            float derivative = (0.5f * (1f + t)) + (0.5f * z * (1f - (t * t)) * C * (1f + (3f * K * z * z)));
            delta[i] *= derivative;
        }
    }
}
