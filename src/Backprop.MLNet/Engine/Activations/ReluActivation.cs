using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Activations;

/// <summary>
/// The rectified linear unit: f(z) = max(0, z), f′ = 1 where a &gt; 0 and 0 elsewhere
/// (scikit-learn <c>'relu'</c>, which also takes f′(0) = 0).
/// </summary>
internal sealed class ReluActivation : HiddenActivation
{
    /// <summary>The shared instance.</summary>
    public static readonly ReluActivation Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private ReluActivation()
    {
    }

    /// <inheritdoc />
    public override ActivationKind Kind => ActivationKind.Relu;

    /// <inheritdoc />
    public override void Apply(Span<float> values) => TensorPrimitives.Max(values, 0f, values);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta)
    {
        CheckSameLength(activated, delta);
        for (int i = 0; i < delta.Length; i++)
        {
            if (!(activated[i] > 0f))
            {
                delta[i] = 0f;
            }
        }
    }
}
