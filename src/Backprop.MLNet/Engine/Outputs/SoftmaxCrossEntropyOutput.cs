using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    /// <summary>
    /// Training's row-wise softmax: the same formula, in double precision on <see cref="Exponential"/>. Effectively computes
    /// e_j = e^(z_j − m) with z_j − m exact in double, Σ e_j in a fixed order (four running sums over whole groups of four,
    /// added pairwise, then the rest in index order), and ŷ_j = e_j / Σ with e_j rounded to float first: within a unit in
    /// the last place of the exact softmax, the largest term exactly 1 before the division, the same bits on every machine.
    /// </summary>
    /// <param name="logits">rows × <paramref name="width"/> logits.</param>
    /// <param name="outputs">rows × <paramref name="width"/> probabilities.</param>
    /// <param name="width">Number of classes.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void ActivateInTraining(ReadOnlySpan<float> logits, Span<float> outputs, int width)
    {
        for (int start = 0; start + width <= logits.Length; start += width)
        {
            ActivateRow(logits.Slice(start, width), outputs.Slice(start, width));
        }
    }

    /// <summary>One row of <see cref="ActivateInTraining"/>.</summary>
    /// <param name="z">The row's logits.</param>
    /// <param name="p">The row's probabilities (as long as <paramref name="z"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivateRow(ReadOnlySpan<float> z, Span<float> p)
    {
        double max = Max(z);
        ref float zs = ref MemoryMarshal.GetReference(z);
        ref float ps = ref MemoryMarshal.GetReference(p);
        int width = z.Length, j = 0;
        Vector256<double> sums = Vector256<double>.Zero, m = Vector256.Create(max);
        for (; j + 4 <= width; j += 4)
        {
            Vector128<float> row = Vector128.LoadUnsafe(ref zs, (nuint)j);
            Vector256<double> e = Exponential.Of(Vector256.Create(Vector128.WidenLower(row), Vector128.WidenUpper(row)) - m);
            sums += e;
            Vector128.Narrow(e.GetLower(), e.GetUpper()).StoreUnsafe(ref ps, (nuint)j);
        }

        double sum = (sums[0] + sums[1]) + (sums[2] + sums[3]);
        for (; j < width; j++)
        {
            double e = Exponential.Of(z[j] - max);
            sum += e;
            p[j] = (float)e;
        }

        Vector256<double> total = Vector256.Create(sum);
        for (j = 0; j + 4 <= width; j += 4)
        {
            Vector128<float> e = Vector128.LoadUnsafe(ref ps, (nuint)j);
            Vector256<double> q = Vector256.Create(Vector128.WidenLower(e), Vector128.WidenUpper(e)) / total;
            Vector128.Narrow(q.GetLower(), q.GetUpper()).StoreUnsafe(ref ps, (nuint)j);
        }

        for (; j < width; j++)
        {
            p[j] = (float)(p[j] / sum);
        }
    }

    /// <summary>The largest value, NaN if any is NaN (the value TensorPrimitives.Max gives, +0 above −0).</summary>
    /// <param name="values">At least one value.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Max(ReadOnlySpan<float> values)
    {
        float max = values[0];
        for (int j = 1; j < values.Length; j++)
        {
            max = Math.Max(max, values[j]);
        }

        return max;
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

        double max = Max(logits);
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
