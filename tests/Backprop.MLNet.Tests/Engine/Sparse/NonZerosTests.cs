using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Sparse;
using Backprop.MLNet.MLNet;

namespace Backprop.MLNet.Tests.Engine.Sparse;

/// <summary>The reading pass's per-row checks on vectors (<see cref="NonZeros.Count"/>, <see cref="TargetReaders.AllFinite"/>).</summary>
public class NonZerosTests
{
    private static readonly float[] Specials =
    [
        0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon, float.MaxValue,
        float.MinValue, 1f, -2.5f,
    ];

    /// <summary>
    /// Both equal their one-value definitions (v ≠ 0; float.IsFinite of every value) for every length from 0 to 70 (no full
    /// vector, one, several, with every tail) with each special value (±0, NaN, ±∞, the smallest subnormals, the extremes) at
    /// every position of rows otherwise zero, otherwise random.
    /// </summary>
    [Fact]
    public void EqualTheirOneValueDefinitionsAtEveryLengthAndPosition()
    {
        var random = new SeededRandom(41);
        for (int length = 0; length <= 70; length++)
        {
            float[] zeros = new float[length];
            float[] mixed = [.. TestData.Uniform(random, length, 3.0).Select((v, i) => i % 3 == 0 ? 0f : v)];
            foreach (float[] row in new[] { zeros, mixed })
            {
                Check(row);
                for (int position = 0; position < length; position++)
                {
                    foreach (float special in Specials)
                    {
                        float[] changed = (float[])row.Clone();
                        changed[position] = special;
                        Check(changed);
                    }
                }
            }
        }

        static void Check(float[] row)
        {
            Assert.Equal(row.Count(v => v != 0f), NonZeros.Count(row));
            Assert.Equal(row.All(float.IsFinite), TargetReaders.AllFinite(row));
        }
    }
}
