using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;

namespace Backprop.MLNet.Tests.Engine.Activations;

/// <summary>
/// The leaky ReLU on vectors gives the bits the scalar form gave, max(z, 0.01·z) (saved models' predictions use it), and
/// its derivative the bits of the scalar branch, at every position of a span and for the edge values.
/// </summary>
public class LeakyReluTests
{
    private static readonly float[] Edges =
        [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, -float.Epsilon, -1e-38f, 1e-38f,
         float.MaxValue, float.MinValue, -3.5f, 2.25f];

    /// <summary>Random values of both signs, the edge values placed at every position of a 37-value span (16 + 16 + 5).</summary>
    private static IEnumerable<float[]> Spans()
    {
        var random = new SeededRandom(31);
        float[] baseValues = TestData.Uniform(random, 37, 3.0);
        for (int at = 0; at < baseValues.Length; at++)
        {
            float[] values = (float[])baseValues.Clone();
            for (int e = 0; e < Edges.Length; e++)
            {
                values[(at + e) % values.Length] = Edges[e];
            }

            yield return values;
        }
    }

    [Fact]
    public void ApplyGivesTheBitsOfTheScalarMaximum()
    {
        foreach (float[] z in Spans())
        {
            float[] actual = (float[])z.Clone();
            LeakyReluActivation.Instance.Apply(actual);
            int[] expected = [.. z.Select(v => BitConverter.SingleToInt32Bits(MathF.Max(v, LeakyReluActivation.Slope * v)))];
            Assert.Equal(expected, actual.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void DerivativeGivesTheBitsOfTheScalarBranch()
    {
        var random = new SeededRandom(32);
        foreach (float[] activated in Spans())
        {
            float[] delta = TestData.Uniform(random, activated.Length, 2.0);
            float[] actual = (float[])delta.Clone();
            LeakyReluActivation.Instance.MultiplyByDerivative(activated, actual);
            int[] expected = [.. delta.Select((g, i) => BitConverter.SingleToInt32Bits(activated[i] > 0f ? g : g * LeakyReluActivation.Slope))];
            Assert.Equal(expected, actual.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
