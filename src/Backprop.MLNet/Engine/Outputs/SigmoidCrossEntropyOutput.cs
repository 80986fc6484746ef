using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// Logistic sigmoid outputs trained with binary cross-entropy (scikit-learn's binary and
/// multi-label <c>MLPClassifier</c>). Per row: ℓ = Σ_j [softplus(z_j) − y_j·z_j], which equals
/// −Σ_j [y_j·ln ŷ_j + (1 − y_j)·ln(1 − ŷ_j)] but is computed from the logit z so it never
/// overflows or takes the log of zero. δ_j = ŷ_j − y_j.
/// </summary>
internal sealed class SigmoidCrossEntropyOutput : OutputLayer
{
    /// <summary>The shared instance.</summary>
    public static readonly SigmoidCrossEntropyOutput Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private SigmoidCrossEntropyOutput()
    {
    }

    /// <inheritdoc />
    public override OutputKind Kind => OutputKind.Sigmoid;

    /// <inheritdoc />
    public override int TargetWidth(int outputSize) => outputSize;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Activate(ReadOnlySpan<float> logits, Span<float> outputs, int width) =>
        TensorPrimitives.Sigmoid(logits, outputs[..logits.Length]);

    /// <summary>Training's sigmoid: <see cref="Logistic"/> (the same bits for a value wherever it sits and on every machine).</summary>
    /// <param name="logits">The logits, any number of rows.</param>
    /// <param name="outputs">The probabilities, at least as long as <paramref name="logits"/>.</param>
    /// <param name="width">Outputs per row (the values are independent of it).</param>
    public override void ActivateInTraining(ReadOnlySpan<float> logits, Span<float> outputs, int width) => Logistic.Apply(logits, outputs);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double RowLossAndDelta(ReadOnlySpan<float> logits, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, Span<float> delta)
    {
        double loss = 0;
        for (int j = 0; j < logits.Length; j++)
        {
            double z = logits[j];
            double y = targets[j];

            // softplus(z) = ln(1 + e^z) = max(z, 0) + ln(1 + e^(−|z|)), exact and overflow-free.
            loss += Math.Max(z, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs(z))) - (y * z);
            delta[j] = outputs[j] - targets[j];
        }

        return loss;
    }
}
