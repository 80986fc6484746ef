using System.Runtime.Intrinsics;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine.Outputs;

/// <summary>
/// Training's exponential (<see cref="Exponential"/>) and the softmax and sigmoid built on it
/// (<see cref="OutputLayer.ActivateInTraining"/>): accuracy against <see cref="Math.Exp(double)"/>, the vector form equal to
/// the scalar one bit for bit, the edges (0, NaN, infinities, underflow), and each activated value independent of where it
/// sits.
/// </summary>
public class ExponentialTests
{
    /// <summary>
    /// Over the range where e^x is a normal or subnormal float, the double result is within 10⁻¹⁵ of Math.Exp, relative
    /// (Math.Exp is within a unit in the last place, 1.1·10⁻¹⁶, of e^x; the Taylor series' truncation is below 2·10⁻¹⁶ and
    /// the twelve Horner steps each round: 3.2·10⁻¹⁶ was the largest of 2,000,000 draws), and rounded to float it is
    /// Math.Exp's float.
    /// </summary>
    [Fact]
    public void MatchesMathExp()
    {
        var random = new SeededRandom(11);
        for (int i = 0; i < 200_000; i++)
        {
            double x = -103.5 + (192.0 * random.NextDouble());
            double ours = Exponential.Of(x), reference = Math.Exp(x);
            Assert.True(Math.Abs(ours - reference) <= 1e-15 * reference, $"e^{x:R}: {ours:R} against {reference:R}");
            Assert.Equal((float)reference, (float)ours);
        }
    }

    /// <summary>Every lane of the vector form equals the scalar form bit for bit, edge values included, in every lane position.</summary>
    [Fact]
    public void VectorLanesEqualTheScalarForm()
    {
        var random = new SeededRandom(12);
        double[] values =
        [
            0, -0.0, 1, -1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -1000, 1000, Exponential.Lowest,
            Exponential.Highest, -103.97, -87.34, 88.72, 0.5 * Math.Log(2), -0.5 * Math.Log(2), double.Epsilon,
            .. Enumerable.Range(0, 4_000).Select(_ => -120 + (240 * random.NextDouble())),
        ];
        for (int start = 0; start < values.Length; start++)
        {
            var lanes = Vector256.Create(values[start], values[(start + 1) % values.Length], values[(start + 2) % values.Length], values[(start + 3) % values.Length]);
            Vector256<double> result = Exponential.Of(lanes);
            for (int lane = 0; lane < 4; lane++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(Exponential.Of(lanes[lane])), BitConverter.DoubleToInt64Bits(result[lane]));
            }
        }
    }

    /// <summary>e^0 is exactly 1 (softmax's largest term); NaN stays NaN; below the clamp every result is float 0; above it 1/(1 + e^x) is float 0.</summary>
    [Fact]
    public void EdgesAreExact()
    {
        Assert.Equal(1.0, Exponential.Of(0.0));
        Assert.Equal(1.0, Exponential.Of(-0.0));
        Assert.True(double.IsNaN(Exponential.Of(double.NaN)));
        Assert.True(double.IsNaN(Exponential.Of(Vector256.Create(double.NaN))[2]));
        foreach (double x in new[] { -104.0, -110.0, -1000.0, double.NegativeInfinity })
        {
            Assert.Equal(0f, (float)Exponential.Of(x));
        }

        foreach (double x in new[] { 110.0, 1000.0, double.PositiveInfinity })
        {
            Assert.Equal(0f, (float)(1.0 / (1.0 + Exponential.Of(x))));
        }

        // The smallest subnormal float, 2^−149 ≈ e^−103.28, survives the way Math.Exp's does.
        Assert.Equal((float)Math.Exp(-103.28), (float)Exponential.Of(-103.28));
        Assert.NotEqual(0f, (float)Exponential.Of(-103.28));
    }

    /// <summary>
    /// Training's softmax is within one unit in the last place of the exactly computed softmax rounded to float (its
    /// exponentials and sum are double; the only float roundings are e_j's and the quotient's), for widths 1–40 and logits
    /// spread up to ±50; and each row's bits are those of the row activated alone, whatever the rows around it.
    /// </summary>
    [Fact]
    public void TrainingSoftmaxIsWithinOneUlpOfTheExactSoftmax()
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
                double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
                for (int j = 0; j < width; j++)
                {
                    float exact = (float)(Math.Exp(z[j] - max) / sum);
                    Assert.True(Math.Abs(BitConverter.SingleToInt32Bits(alone[j]) - BitConverter.SingleToInt32Bits(exact)) <= 1,
                        $"width {width}, row {r}, class {j}: {alone[j]:R} against {exact:R}");
                }
            }
        }
    }

    /// <summary>A NaN logit makes its row NaN (and only its row); a logit of −∞ has probability 0; one of +∞ beside finite ones gives NaN, not a silent 1.</summary>
    [Fact]
    public void TrainingSoftmaxKeepsNonFiniteLogitsVisible()
    {
        OutputLayer softmax = OutputLayer.For(OutputKind.Softmax);
        float[] logits = [1f, float.NaN, 2f, 3f, 0.5f, float.NegativeInfinity, 4f, 1f, -2f];
        var outputs = new float[logits.Length];
        softmax.ActivateInTraining(logits, outputs, 3);
        Assert.All(outputs[..3], p => Assert.True(float.IsNaN(p)));
        Assert.Equal(0f, outputs[5]);
        Assert.Equal(1.0, outputs[3] + outputs[4], 6);
        Assert.Equal(1.0, outputs[6] + outputs[7] + outputs[8], 6);
    }

    /// <summary>
    /// Training's sigmoid is within one unit in the last place of 1/(1 + e^−z) computed in double and rounded to float (0 in
    /// 100,000 draws here), saturates to exactly 0 and 1, keeps NaN, and gives a value the same bits wherever it sits in a
    /// span (the vector body and the scalar tail agree).
    /// </summary>
    [Fact]
    public void TrainingSigmoidIsWithinOneUlpAndIndependentOfPosition()
    {
        OutputLayer sigmoid = OutputLayer.For(OutputKind.Sigmoid);
        var random = new SeededRandom(14);
        float[] logits = [float.NaN, float.NegativeInfinity, float.PositiveInfinity, -200f, 200f, 0f, .. TestData.Uniform(random, 20_003, 30.0)];
        var outputs = new float[logits.Length];
        sigmoid.ActivateInTraining(logits, outputs, 1);
        Assert.True(float.IsNaN(outputs[0]));
        Assert.Equal([0f, 1f, 0f, 1f, 0.5f], outputs[1..6]);
        var one = new float[1];
        for (int i = 1; i < logits.Length; i++)
        {
            float exact = (float)(1.0 / (1.0 + Math.Exp(-(double)logits[i])));
            Assert.True(Math.Abs(BitConverter.SingleToInt32Bits(outputs[i]) - BitConverter.SingleToInt32Bits(exact)) <= 1, $"z = {logits[i]:R}");
            sigmoid.ActivateInTraining(logits.AsSpan(i, 1), one, 1);
            Assert.Equal(outputs[i], one[0]);
        }
    }
}
