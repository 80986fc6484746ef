using System.Runtime.Intrinsics;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine.Outputs;

/// <summary>
/// Training's exponential (<see cref="Exponential"/>) and the softmax and sigmoid built on it
/// (<see cref="OutputLayer.ActivateInTraining"/>): accuracy against <see cref="Math.Exp(double)"/>, the vector forms equal to
/// the scalar one bit for bit, the edges (0, NaN, infinities, underflow), and each activated value independent of where it
/// sits in a span.
/// </summary>
public class ExponentialTests
{
    /// <summary>
    /// Over [<see cref="Exponential.Lowest"/>, <see cref="Exponential.Highest"/>] the result is within one unit in the last
    /// place of e^x correctly rounded (Math.Exp in double, rounded to float; the Taylor series' truncation is 6·10⁻⁹ and
    /// the float Horner steps round: one unit at most, one result in ten not the correctly rounded one, in 2,000,000 draws).
    /// </summary>
    [Fact]
    public void IsWithinOneUlpOfMathExp()
    {
        var random = new SeededRandom(11);
        for (int i = 0; i < 200_000; i++)
        {
            float x = (float)(Exponential.Lowest + ((Exponential.Highest - Exponential.Lowest) * random.NextDouble()));
            Assert.True(Ulps(Exponential.Of(x), (float)Math.Exp(x)) <= 1, $"e^{x:R}: {Exponential.Of(x):R} against {(float)Math.Exp(x):R}");
        }
    }

    /// <summary>
    /// Every lane of the eight- and sixteen-lane forms equals the scalar form bit for bit, edge values included, in every
    /// lane position (without AVX-512 the sixteen-lane form runs in software with the same operations).
    /// </summary>
    [Fact]
    public void VectorLanesEqualTheScalarForm()
    {
        var random = new SeededRandom(12);
        float[] values =
        [
            0f, -0f, 1f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -1000f, 1000f, Exponential.Lowest,
            Exponential.Highest, MathF.BitDecrement(Exponential.Lowest), -0.5f * MathF.Log(2), 0.5f * MathF.Log(2), float.Epsilon,
            .. Enumerable.Range(0, 4_000).Select(_ => (float)(-100 + (200 * random.NextDouble()))),
        ];
        for (int start = 0; start < values.Length; start++)
        {
            var lanes = Vector512.Create([.. Enumerable.Range(start, 16).Select(i => values[i % values.Length])]);
            Vector512<float> sixteen = Exponential.Of(lanes);
            Vector256<float> eight = Exponential.Of(lanes.GetLower());
            for (int lane = 0; lane < 16; lane++)
            {
                int scalar = BitConverter.SingleToInt32Bits(Exponential.Of(lanes[lane]));
                Assert.Equal(scalar, BitConverter.SingleToInt32Bits(sixteen[lane]));
                if (lane < 8)
                {
                    Assert.Equal(scalar, BitConverter.SingleToInt32Bits(eight[lane]));
                }
            }
        }
    }

    /// <summary>e^0 is exactly 1 (softmax's largest term); NaN stays NaN; below the range 0; above it e^88, finite.</summary>
    [Fact]
    public void EdgesAreExact()
    {
        Assert.Equal(1f, Exponential.Of(0f));
        Assert.Equal(1f, Exponential.Of(-0f));
        Assert.True(float.IsNaN(Exponential.Of(float.NaN)));
        Assert.True(float.IsNaN(Exponential.Of(Vector256.Create(float.NaN))[2]));
        foreach (float x in new[] { MathF.BitDecrement(Exponential.Lowest), -104f, -1000f, float.NegativeInfinity })
        {
            Assert.Equal(0f, Exponential.Of(x));
        }

        Assert.True(Exponential.Of(Exponential.Lowest) > 0f);
        Assert.Equal(Exponential.Of(Exponential.Highest), Exponential.Of(float.PositiveInfinity));
        Assert.True(float.IsFinite(Exponential.Of(float.PositiveInfinity)));
    }

    /// <summary>
    /// Training's softmax is close to the exact softmax (relative error at most (|z_j − m| + 4)·2⁻²³ for probabilities above
    /// 10⁻³⁰: the float difference z_j − m is rounded by up to half a unit, 2⁻²⁴·|z_j − m|, which e^(z_j − m) turns into
    /// that relative error; TensorPrimitives' float softmax has the same), sums to 1, and gives each row the bits of the
    /// row activated alone,
    /// for widths 1–40 (the sixteen- and eight-wide loops and the masked tail) and logits spread up to ±50.
    /// </summary>
    [Fact]
    public void TrainingSoftmaxIsCloseToTheExactSoftmax()
    {
        OutputLayer softmax = OutputLayer.For(OutputKind.Softmax);
        var random = new SeededRandom(13);
        for (int width = 1; width <= 40; width++)
        {
            const int rows = 25;
            var logits = new float[rows * width];
            for (int i = 0; i < logits.Length; i++)
            {
                logits[i] = (float)((random.NextDouble() - 0.5) * (width % 3 == 0 ? 100 : 10));
            }

            var batch = new float[logits.Length];
            softmax.ActivateInTraining(logits, batch, width);
            for (int r = 0; r < rows; r++)
            {
                float[] z = logits[(r * width)..((r + 1) * width)];
                var alone = new float[width];
                softmax.ActivateInTraining(z, alone, width);
                Assert.Equal(alone, batch[(r * width)..((r + 1) * width)]);
                Assert.Equal(1.0, alone.Sum(v => (double)v), 5);
                double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
                for (int j = 0; j < width; j++)
                {
                    // The float difference's rounding (half a unit of |z_j − m|) times e^x's slope, plus a few units for e^x,
                    // the sum and the division.
                    double exact = Math.Exp(z[j] - max) / sum;
                    double tolerance = (Math.Abs(z[j] - max) + 4) * Math.ScaleB(1.0, -23) * exact;
                    Assert.True(exact < 1e-30 || Math.Abs(alone[j] - exact) <= tolerance, $"width {width}, row {r}, class {j}: {alone[j]:R} against {exact:R}");
                }
            }
        }
    }

    /// <summary>A NaN logit makes its row NaN (and only its row); a logit of −∞ has probability 0; one of +∞ gives NaN, not a silent 1.</summary>
    [Fact]
    public void TrainingSoftmaxKeepsNonFiniteLogitsVisible()
    {
        OutputLayer softmax = OutputLayer.For(OutputKind.Softmax);
        float[] logits = [1f, float.NaN, 2f, 3f, 0.5f, float.NegativeInfinity, 4f, 1f, -2f, 1f, float.PositiveInfinity, 0f];
        var outputs = new float[logits.Length];
        softmax.ActivateInTraining(logits, outputs, 3);
        Assert.All(outputs[..3], p => Assert.True(float.IsNaN(p)));
        Assert.Equal(0f, outputs[5]);
        Assert.Equal(1.0, outputs[3] + outputs[4], 6);
        Assert.Equal(1.0, outputs[6] + outputs[7] + outputs[8], 6);
        Assert.All(outputs[9..], p => Assert.True(float.IsNaN(p)));

        // The same in rows wide enough for the vector loops: one NaN among 19 finite logits, then one −∞ among 19.
        float[] wide = [.. Enumerable.Range(0, 40).Select(i => i == 13 ? float.NaN : i == 33 ? float.NegativeInfinity : (i % 20) * 0.25f)];
        var wideOutputs = new float[wide.Length];
        softmax.ActivateInTraining(wide, wideOutputs, 20);
        Assert.All(wideOutputs[..20], p => Assert.True(float.IsNaN(p)));
        Assert.Equal(0f, wideOutputs[33]);
        Assert.Equal(1.0, wideOutputs[20..].Sum(v => (double)v), 6);
    }

    /// <summary>
    /// Training's sigmoid is within two units in the last place of 1/(1 + e^−z) computed in double and rounded to float (two
    /// at most in 100,000 draws), saturates to exactly 0 and 1, keeps NaN, and gives a value the same bits wherever it sits
    /// in a span (the sixteen- and eight-wide loops and the masked tail agree).
    /// </summary>
    [Fact]
    public void TrainingSigmoidIsWithinTwoUlpsAndIndependentOfPosition()
    {
        OutputLayer sigmoid = OutputLayer.For(OutputKind.Sigmoid);
        var random = new SeededRandom(14);
        float[] logits = [float.NaN, float.NegativeInfinity, float.PositiveInfinity, -200f, 200f, 0f, -0f, .. TestData.Uniform(random, 20_003, 30.0)];
        var outputs = new float[logits.Length];
        sigmoid.ActivateInTraining(logits, outputs, 1);
        Assert.True(float.IsNaN(outputs[0]));
        Assert.Equal([0f, 1f, 0f, 1f, 0.5f, 0.5f], outputs[1..7]);
        var one = new float[1];
        for (int i = 1; i < logits.Length; i++)
        {
            double exact = 1.0 / (1.0 + Math.Exp(-(double)logits[i]));
            Assert.True(exact < 1e-30 || Ulps(outputs[i], (float)exact) <= 2, $"z = {logits[i]:R}: {outputs[i]:R} against {exact:R}");
            sigmoid.ActivateInTraining(logits.AsSpan(i, 1), one, 1);
            Assert.Equal(outputs[i], one[0]);
        }
    }

    private static int Ulps(float a, float b) => Math.Abs(BitConverter.SingleToInt32Bits(a) - BitConverter.SingleToInt32Bits(b));
}
