using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    /// <summary>
    /// Training's sigmoid on <see cref="Exponential"/>: with e = e^(−|z|), ŷ = 1 / (1 + e) for z ≥ 0 and e / (1 + e) below,
    /// in float (only e^x of x ≤ 0 is asked for, so nothing overflows); the same bits for a value wherever it sits in the
    /// span and on every machine.
    /// </summary>
    /// <param name="logits">The logits, any number of rows.</param>
    /// <param name="outputs">The probabilities, at least as long as <paramref name="logits"/>.</param>
    /// <param name="width">Outputs per row (the values are independent of it).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void ActivateInTraining(ReadOnlySpan<float> logits, Span<float> outputs, int width)
    {
        ref float zs = ref MemoryMarshal.GetReference(logits);
        ref float ps = ref MemoryMarshal.GetReference(outputs[..logits.Length]);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= logits.Length; j += 16)
            {
                Sigmoid(Vector512.LoadUnsafe(ref zs, (nuint)j)).StoreUnsafe(ref ps, (nuint)j);
            }
        }

        for (; j + 8 <= logits.Length; j += 8)
        {
            Sigmoid(Vector256.LoadUnsafe(ref zs, (nuint)j)).StoreUnsafe(ref ps, (nuint)j);
        }

        int rest = logits.Length - j;
        if (rest > 0)
        {
            RowTail.Store(Sigmoid(RowTail.Load(logits[j..], 0f)), outputs[j..]);
        }
    }

    /// <summary>Sixteen lanes of <see cref="ActivateInTraining"/>.</summary>
    /// <param name="z">Logits.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sigmoid(Vector512<float> z)
    {
        Vector512<float> e = Exponential.Of(-Vector512.Abs(z));
        Vector512<float> numerator = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(z, Vector512<float>.Zero), Vector512<float>.One, e);
        return numerator / (Vector512<float>.One + e);
    }

    /// <summary>Eight lanes of <see cref="ActivateInTraining"/>.</summary>
    /// <param name="z">Logits.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sigmoid(Vector256<float> z)
    {
        Vector256<float> e = Exponential.Of(-Vector256.Abs(z));
        Vector256<float> numerator = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero), Vector256<float>.One, e);
        return numerator / (Vector256<float>.One + e);
    }

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
