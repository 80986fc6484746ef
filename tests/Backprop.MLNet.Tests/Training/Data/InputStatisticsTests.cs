using Backprop.MLNet.Engine;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training.Data;

/// <summary>The reading pass's statistics: a dense row's vector loop gives the bits of one value at a time.</summary>
public class InputStatisticsTests
{
    /// <summary>
    /// Dense rows (measured eight or four inputs at a time, the rest one at a time) and the same rows given as their
    /// non-zeros (one at a time, the path sparse rows take) give the same running sums and so the same means and scales, bit
    /// for bit, for widths around the
    /// vector sizes, weighted rows (a zero weight among them), −0 entries, inputs first seen late, never seen, constant, rare,
    /// with offsets large beside their spread (where the shift matters), and a NaN.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(37)]
    [InlineData(784)]
    public void DenseRowsGiveTheBitsOfOneValueAtATime(int width)
    {
        var random = new SeededRandom(width);
        var dense = new InputStatistics(width);
        var sparse = new InputStatistics(width);
        var row = new float[width];
        for (int r = 0; r < 300; r++)
        {
            for (int i = 0; i < width; i++)
            {
                double u = random.NextDouble();
                row[i] = (i % 5) switch
                {
                    0 => u < 0.5 ? 0f : (float)random.NextUniform(-3, 3),   // half zeros
                    1 => r < 150 ? 0f : 1e4f + (float)random.NextDouble(), // first seen late, large offset
                    2 => u < 0.05 ? 1f : (u < 0.1 ? -0f : 0f),             // rare, and −0
                    3 => 2.5f,                                             // constant
                    _ => i == width - 1 && width > 4 ? 0f : (float)random.NextUniform(0, 255), // the last never non-zero
                };
            }

            if (r == 77 && width > 3)
            {
                row[3] = float.NaN;
            }

            double weight = r % 11 == 0 ? 0 : 0.5 + random.NextDouble();
            dense.Add(row, default, weight);
            int[] indices = [.. Enumerable.Range(0, width).Where(i => row[i] != 0f)];
            sparse.Add([.. indices.Select(i => row[i])], indices, weight);
        }

        for (int k = 0; k < 5; k++)
        {
            Assert.Equal(sparse.Sums[k].Select(BitConverter.DoubleToInt64Bits), dense.Sums[k].Select(BitConverter.DoubleToInt64Bits));
        }

        InputStandardization a = dense.Result(), b = sparse.Result();
        Assert.Equal(b.Mean.Select(BitConverter.SingleToInt32Bits), a.Mean.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(b.Scale.Select(BitConverter.SingleToInt32Bits), a.Scale.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(a.Scale, s => s != 1f); // something was measured
    }
}
