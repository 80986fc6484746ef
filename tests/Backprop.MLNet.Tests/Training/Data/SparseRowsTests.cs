using Backprop.MLNet.Engine;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training.Data;

/// <summary>The training rows' CSR form: keeping rows in place (<see cref="SparseRows.KeepOnly"/>) against copying them.</summary>
public class SparseRowsTests
{
    /// <summary>Rows of 0 to <paramref name="longest"/> entries at increasing random columns below <paramref name="width"/>, about one in eight empty.</summary>
    internal static SparseRows Random(SeededRandom random, int rows, int width, int longest = 12)
    {
        var starts = new int[rows + 1];
        var indices = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < rows; r++)
        {
            int count = random.NextDouble() < 0.125 ? 0 : 1 + (int)(random.NextDouble() * longest);
            foreach (int column in Enumerable.Range(0, count).Select(_ => (int)(random.NextDouble() * width)).Distinct().Order())
            {
                indices.Add(column);
                values.Add((float)(random.NextDouble() - 0.5));
            }

            starts[r + 1] = indices.Count;
        }

        return new SparseRows(starts, [.. indices], [.. values], width);
    }

    /// <summary>
    /// Kept in place, the rows equal a copy of the same rows, for subsets that keep a first run of rows unmoved, drop the
    /// first or the last row, keep every row or one; the result holds the same indices and values arrays.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void KeptRowsEqualCopiedOnes(int subset)
    {
        const int rows = 300;
        var pick = new SeededRandom(40 + subset);
        int[] kept = subset switch
        {
            0 => [.. Enumerable.Range(0, rows)],
            1 => [.. Enumerable.Range(0, rows).Where(r => r < 50 || pick.NextDouble() < 0.9)], // unmoved first rows
            2 => [.. Enumerable.Range(1, rows - 1).Where(_ => pick.NextDouble() < 0.7)],
            3 => [.. Enumerable.Range(0, rows - 1).Where(_ => pick.NextDouble() < 0.2)],
            4 => [rows - 1],
            _ => [.. Enumerable.Range(0, rows).Where(r => r % 2 == 1)],
        };
        SparseRows copied = Random(new SeededRandom(9), rows, 1000).Select(kept);
        SparseRows original = Random(new SeededRandom(9), rows, 1000);

        SparseRows inPlace = original.KeepOnly(kept);

        Assert.Same(original.Indices, inPlace.Indices);
        Assert.Same(original.Values, inPlace.Values);
        Assert.Equal(kept.Length, inPlace.Rows);
        Assert.Equal(copied.RowStarts, inPlace.RowStarts);
        Assert.Equal(copied.Indices, inPlace.Indices.AsSpan(0, inPlace.Entries).ToArray());
        Assert.Equal(copied.Values, inPlace.Values.AsSpan(0, inPlace.Entries).ToArray());
        Assert.Equal(copied.Width, inPlace.Width);
    }
}
