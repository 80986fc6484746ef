using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Engine.Activations;

/// <summary>
/// The logistic activation: f(z) = 1 / (1 + e^(−z)), f′ = a·(1 − a) (scikit-learn <c>'logistic'</c>).
/// </summary>
internal sealed class SigmoidActivation : HiddenActivation
{
    /// <summary>The shared instance.</summary>
    public static readonly SigmoidActivation Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private SigmoidActivation()
    {
    }

    /// <inheritdoc />
    public override ActivationKind Kind => ActivationKind.Sigmoid;

    /// <inheritdoc />
    public override void Apply(Span<float> values) => TensorPrimitives.Sigmoid(values, values);

    /// <inheritdoc />
    public override HiddenActivation InTraining => TrainingForm.Instance;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta)
    {
        CheckSameLength(activated, delta);
        for (int i = 0; i < delta.Length; i++)
        {
            float a = activated[i];
            delta[i] *= a * (1f - a);
        }
    }

    /// <summary>Training's sigmoid: <see cref="Logistic"/>, the derivative <see cref="SigmoidActivation"/>'s.</summary>
    private sealed class TrainingForm : HiddenActivation
    {
        /// <summary>The shared instance.</summary>
        public static readonly TrainingForm Instance = new();

        /// <inheritdoc />
        public override ActivationKind Kind => ActivationKind.Sigmoid;

        /// <inheritdoc />
        public override void Apply(Span<float> values) => Logistic.Apply(values, values);

        /// <inheritdoc />
        public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta) =>
            SigmoidActivation.Instance.MultiplyByDerivative(activated, delta);
    }
}
