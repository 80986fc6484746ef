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
    /// Training's row-wise softmax: the same formula on <see cref="Exponential"/>. Effectively computes d_j = z_j − m,
    /// e_j = e^(d_j), Σ e_j as eight running sums (one per index modulo 8, in index order) added pairwise, and
    /// ŷ_j = e_j / Σ, all in float: the same bits on every machine and vector width, each row's independent of the rows
    /// around it.
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
        ref float zs = ref MemoryMarshal.GetReference(z);
        ref float ps = ref MemoryMarshal.GetReference(p);
        int width = z.Length, j = 0;

        // Which of the largest values m is (±0, a NaN's payload) changes no result: e^(±0) = 1, and a NaN logit makes Σ and
        // so the whole row NaN whatever m is.
        float max = RowMax(z, ref zs);
        Vector256<float> m = Vector256.Create(max), sums = Vector256<float>.Zero;
        if (Vector512.IsHardwareAccelerated)
        {
            // Sixteen at a time, the running sums fed the lower eight then the upper eight: the eight-wide loop's order.
            Vector512<float> m16 = Vector512.Create(max);
            for (; j + 16 <= width; j += 16)
            {
                Vector512<float> e = Exponential.Of(Vector512.LoadUnsafe(ref zs, (nuint)j) - m16);
                sums += e.GetLower();
                sums += e.GetUpper();
                e.StoreUnsafe(ref ps, (nuint)j);
            }
        }

        for (; j + 8 <= width; j += 8)
        {
            Vector256<float> e = Exponential.Of(Vector256.LoadUnsafe(ref zs, (nuint)j) - m);
            sums += e;
            e.StoreUnsafe(ref ps, (nuint)j);
        }

        int rest = width - j;
        if (rest > 0)
        {
            // The last 1–7 logits in a vector padded with −∞, whose exponentials are exactly 0 and add nothing to the sums.
            Vector256<float> e = Exponential.Of(RowTail.Load(z[j..], float.NegativeInfinity) - m);
            sums += e;
            RowTail.Store(e, p[j..]);
        }

        Vector256<float> total = Vector256.Create(((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7])));
        j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> total16 = Vector512.Create(total, total);
            for (; j + 16 <= width; j += 16)
            {
                (Vector512.LoadUnsafe(ref ps, (nuint)j) / total16).StoreUnsafe(ref ps, (nuint)j);
            }
        }

        for (; j + 8 <= width; j += 8)
        {
            (Vector256.LoadUnsafe(ref ps, (nuint)j) / total).StoreUnsafe(ref ps, (nuint)j);
        }

        if (rest > 0)
        {
            RowTail.Store(RowTail.Load(p[j..], 1f) / total, p[j..]);
        }
    }

    /// <summary>The largest logit, eight at a time when there are eight (softmax's m, see <see cref="ActivateRow"/>).</summary>
    /// <param name="z">At least one logit.</param>
    /// <param name="zs">The first of them.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float RowMax(ReadOnlySpan<float> z, ref float zs)
    {
        int j = 0;
        float max = z[0];
        if (z.Length >= 8)
        {
            Vector256<float> lanes = Vector256.LoadUnsafe(ref zs);
            for (j = 8; j + 8 <= z.Length; j += 8)
            {
                lanes = Vector256.Max(lanes, Vector256.LoadUnsafe(ref zs, (nuint)j));
            }

            Vector128<float> halves = Vector128.Max(lanes.GetLower(), lanes.GetUpper());
            max = Math.Max(Math.Max(halves[0], halves[1]), Math.Max(halves[2], halves[3]));
        }

        for (; j < z.Length; j++)
        {
            max = Math.Max(max, z[j]);
        }

        return max;
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
