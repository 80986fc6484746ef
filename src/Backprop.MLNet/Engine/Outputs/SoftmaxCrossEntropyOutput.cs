using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// Softmax outputs trained with categorical cross-entropy (scikit-learn's multiclass
/// <c>MLPClassifier</c>). The target is one value per row: the class index k stored as a float.
/// Per row: ℓ = logsumexp(z) − z_k (= −ln ŷ_k), computed max-subtracted in double precision.
/// δ_j = ŷ_j − [j = k].
/// </summary>
internal sealed class SoftmaxCrossEntropyOutput : OutputLayer
{
    /// <summary>The shared instance.</summary>
    public static readonly SoftmaxCrossEntropyOutput Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private SoftmaxCrossEntropyOutput()
    {
    }

    /// <inheritdoc />
    public override OutputKind Kind => OutputKind.Softmax;

    /// <inheritdoc />
    public override int TargetWidth(int outputSize) => 1;

    /// <inheritdoc />
    public override bool ActivatesRowByRow => true;

    /// <summary>
    /// Row-wise softmax, ŷ_j = e^(z_j − m) / Σ_i e^(z_i − m) with m the row maximum, so no
    /// exponential can overflow and the largest term is exactly 1.
    /// </summary>
    /// <param name="logits">rows × <paramref name="width"/> logits.</param>
    /// <param name="outputs">rows × <paramref name="width"/> probabilities.</param>
    /// <param name="width">Number of classes.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Activate(ReadOnlySpan<float> logits, Span<float> outputs, int width)
    {
        for (int start = 0; start + width <= logits.Length; start += width)
        {
            ReadOnlySpan<float> z = logits.Slice(start, width);
            Span<float> p = outputs.Slice(start, width);
            float max = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, max, p);
            TensorPrimitives.Exp(p, p);
            float sum = TensorPrimitives.Sum<float>(p);
            TensorPrimitives.Divide(p, sum, p);
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The target is not an integer class index in [0, width).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double RowLossAndDelta(ReadOnlySpan<float> logits, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, Span<float> delta)
    {
        float target = targets[0];
        int k = (int)target;
        if (k != target || k < 0 || k >= logits.Length)
        {
            throw new ArgumentException(
                $"Softmax target {target} is not a class index in [0, {logits.Length - 1}].", nameof(targets));
        }

        double max = TensorPrimitives.Max(logits);
        double sum = 0;
        for (int j = 0; j < logits.Length; j++)
        {
            sum += Math.Exp(logits[j] - max);
            delta[j] = outputs[j];
        }

        delta[k] -= 1f;
        return max + Math.Log(sum) - logits[k];
    }
}
