using System.Numerics.Tensors;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Tests.Engine.Kernels;

/// <summary>
/// <see cref="ElementWise"/> replaced <c>TensorPrimitives</c> calls on the training path: it must give their bits exactly,
/// whatever the length (vector body and scalar tail), so that models train to the same weights as before.
/// </summary>
public class ElementWiseTests
{
    private static readonly int[] Lengths = [0, 1, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257, 784];

    /// <summary>Values over many magnitudes and both signs, zeros included, so that rounding differences would show.</summary>
    private static float[] Values(int n, int seed, float least = 0f)
    {
        var random = new SeededRandom(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double magnitude = Math.Pow(10, (random.NextDouble() * 10) - 5);
            x[i] = i % 11 == 5 ? 0f : (float)(((random.NextDouble() * 2) - 1) * magnitude);
            if (least > 0 && Math.Abs(x[i]) < least)
            {
                x[i] = least;
            }
        }

        return x;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}, length {expected.Length}, element {i}: {expected[i]:R} expected, {actual[i]:R} computed.");
        }
    }

    /// <summary>(x − μ) / σ in one pass equals Subtract then Divide, in place and into another span.</summary>
    [Fact]
    public void SubtractDivideEqualsSubtractThenDivide()
    {
        foreach (int n in Lengths)
        {
            float[] x = Values(n, 1), mean = Values(n, 2), scale = Values(n, 3, least: 1e-3f);
            var expected = new float[n];
            TensorPrimitives.Subtract(x, mean, expected);
            TensorPrimitives.Divide(expected, scale, expected);
            var into = new float[n];
            ElementWise.SubtractDivide(x, mean, scale, into);
            AssertSameBits(expected, into, "SubtractDivide");
            float[] inPlace = (float[])x.Clone();
            ElementWise.SubtractDivide(inPlace, mean, scale, inPlace);
            AssertSameBits(expected, inPlace, "SubtractDivide in place");
        }
    }

    /// <summary>Scale equals Multiply by a scalar; AddScaled equals MultiplyAdd (not fused); Add equals Add.</summary>
    [Fact]
    public void ScaleAddScaledAndAddEqualTensorPrimitives()
    {
        foreach (int n in Lengths)
        {
            float[] x = Values(n, 4), y = Values(n, 5);
            const float factor = 1.2345e-4f;

            var expected = new float[n];
            TensorPrimitives.Multiply(x, factor, expected);
            float[] scaled = (float[])x.Clone();
            ElementWise.Scale(scaled, factor);
            AssertSameBits(expected, scaled, "Scale");

            TensorPrimitives.MultiplyAdd(x, factor, y, expected);
            float[] accumulated = (float[])y.Clone();
            ElementWise.AddScaled(x, factor, accumulated);
            AssertSameBits(expected, accumulated, "AddScaled");

            TensorPrimitives.Add(y, x, expected);
            float[] added = (float[])y.Clone();
            ElementWise.Add(x, added);
            AssertSameBits(expected, added, "Add");
        }
    }

    /// <summary>
    /// Multiply equals Multiply by a scalar into another span; Relu equals Max(x, 0) on every value, NaN (kept), −0 (made +0)
    /// and infinities included (the sparse first layer's steps, which used those routines).
    /// </summary>
    [Fact]
    public void MultiplyAndReluEqualTensorPrimitives()
    {
        foreach (int n in Lengths)
        {
            float[] x = Values(n, 8);
            if (n > 4)
            {
                x[1] = float.NaN;
                x[2] = -0f;
                x[3] = float.NegativeInfinity;
                x[4] = float.PositiveInfinity;
            }

            var expected = new float[n];
            TensorPrimitives.Multiply(x, -3.75e-2f, expected);
            var multiplied = new float[n];
            ElementWise.Multiply(x, -3.75e-2f, multiplied);
            AssertSameBits(expected, multiplied, "Multiply");

            TensorPrimitives.Max(x, 0f, expected);
            float[] rectified = (float[])x.Clone();
            ElementWise.Relu(rectified);
            AssertSameBits(expected, rectified, "Relu");
        }
    }

    /// <summary>
    /// SumOfSquares is within the float rounding bound of its sixteen running sums of the exact sum, up to 100,003 values;
    /// the same bits on every call; and it overflows to ∞ as a float sum does for weights that have diverged (the divergence
    /// check relies on it).
    /// </summary>
    [Fact]
    public void SumOfSquaresIsAccurateAndOverflowsLikeAFloatSum()
    {
        foreach (int n in Lengths.Append(100_003))
        {
            float[] x = Values(n, 9);
            double reference = 0;
            foreach (float v in x)
            {
                reference += (double)v * v;
            }

            float sum = ElementWise.SumOfSquares(x);
            // Each of the sixteen running sums adds at most n/16 + 15 terms, each addition rounding by up to 2⁻²⁴ of the sum.
            double tolerance = ((n / 16.0) + 20) * Math.ScaleB(1.0, -24) * reference;
            Assert.True(Math.Abs(sum - reference) <= tolerance, $"length {n}: {sum:R} against {reference:R}");
            Assert.Equal(BitConverter.SingleToInt32Bits(sum), BitConverter.SingleToInt32Bits(ElementWise.SumOfSquares(x)));
        }

        Assert.Equal(float.PositiveInfinity, ElementWise.SumOfSquares([1e30f, 2f, -1e25f, 3f, 4f]));
        Assert.True(float.IsNaN(ElementWise.SumOfSquares([1f, float.NaN, 2f, 3f, 4f, 5f])));
    }

    /// <summary>AddScaled rounds the product before the sum: a fused multiply-add would differ on these values.</summary>
    [Fact]
    public void AddScaledIsNotFused()
    {
        float[] x = Values(4096, 6), y = Values(4096, 7);
        float[] accumulated = (float[])y.Clone();
        ElementWise.AddScaled(x, 1.2345e-4f, accumulated);
        int fusedDiffers = Enumerable.Range(0, x.Length)
            .Count(i => BitConverter.SingleToInt32Bits(MathF.FusedMultiplyAdd(x[i], 1.2345e-4f, y[i])) != BitConverter.SingleToInt32Bits(accumulated[i]));
        Assert.True(fusedDiffers > 0, "Expected the unfused result to differ from the fused one somewhere on 4,096 values.");
    }

    /// <summary>Spans of different lengths are refused, not read past.</summary>
    [Fact]
    public void DifferentLengthsThrow()
    {
        Assert.Throws<ArgumentException>(() => ElementWise.SubtractDivide(new float[4], new float[4], new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => ElementWise.AddScaled(new float[4], 1f, new float[5]));
        Assert.Throws<ArgumentException>(() => ElementWise.Add(new float[5], new float[4]));
    }
}
