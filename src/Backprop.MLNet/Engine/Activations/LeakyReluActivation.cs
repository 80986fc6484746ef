namespace Backprop.MLNet.Engine.Activations;

/// <summary>
/// The leaky rectified linear unit: f(z) = z for z &gt; 0 and <see cref="Slope"/>·z otherwise; f′ = 1 where a &gt; 0 and
/// <see cref="Slope"/> elsewhere (a &gt; 0 exactly when z &gt; 0, so f′ is read off the activation). Not in scikit-learn;
/// PyTorch's <c>LeakyReLU()</c> with its default slope 0.01.
/// </summary>
internal sealed class LeakyReluActivation : HiddenActivation
{
    /// <summary>The slope for negative inputs.</summary>
    public const float Slope = 0.01f;

    /// <summary>The shared instance.</summary>
    public static readonly LeakyReluActivation Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private LeakyReluActivation()
    {
    }

    /// <inheritdoc />
    public override ActivationKind Kind => ActivationKind.LeakyRelu;

    /// <inheritdoc />
    public override void Apply(Span<float> values)
    {
        // max(z, slope·z) equals z for z > 0 and slope·z for z ≤ 0 because 0 < slope < 1.
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = MathF.Max(values[i], Slope * values[i]);
        }
    }

    /// <inheritdoc />
    public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta)
    {
        CheckSameLength(activated, delta);
        for (int i = 0; i < delta.Length; i++)
        {
            if (!(activated[i] > 0f))
            {
                delta[i] *= Slope;
            }
        }
    }
}
