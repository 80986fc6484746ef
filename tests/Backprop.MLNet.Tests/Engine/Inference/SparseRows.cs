using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Tests.Engine.Inference;

/// <summary>
/// Test rows in CSR form over arrays that hold more than the rows (the row starts need not begin at 0), and their dense
/// copy. Random rows store the awkward values too: explicit 0 and −0, NaN and +∞ in some rows, and empty rows.
/// </summary>
/// <param name="RowStarts">Rows + 1 offsets into <paramref name="Indices"/> and <paramref name="Values"/>.</param>
/// <param name="Indices">Column indices, strictly increasing within a row.</param>
/// <param name="Values">The stored values.</param>
/// <param name="Width">Inputs per row.</param>
internal sealed class SparseRows(int[] RowStarts, int[] Indices, float[] Values, int Width)
{
    /// <summary>Rows + 1 offsets into <see cref="Indices"/> and <see cref="Values"/>.</summary>
    public int[] RowStarts { get; } = RowStarts;

    /// <summary>Column indices.</summary>
    public int[] Indices { get; } = Indices;

    /// <summary>Stored values.</summary>
    public float[] Values { get; } = Values;

    /// <summary>Inputs per row.</summary>
    public int Width { get; } = Width;

    /// <summary>Number of rows.</summary>
    public int Rows => RowStarts.Length - 1;

    /// <summary>Stored entries of all rows.</summary>
    public int Entries => RowStarts[^1] - RowStarts[0];

    /// <summary>The rows as the network's input batch.</summary>
    public InputBatch Batch => InputBatch.FromCsr(RowStarts, Indices, Values, Width);

    /// <summary>
    /// <paramref name="rows"/> random rows: each input stored with probability <paramref name="density"/>, values uniform in
    /// [−1, 1) except about 1 in 20 stored as 0 and 1 in 20 as −0; row r % 11 == 4 holds a NaN, row r % 13 == 6 a +∞, and
    /// row r % 7 == 2 nothing. Three unused entries come first, so the row starts begin at 3.
    /// </summary>
    /// <param name="random">Generator.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="width">Inputs per row.</param>
    /// <param name="density">Probability that an input is stored.</param>
    public static SparseRows Random(SeededRandom random, int rows, int width, double density)
    {
        var starts = new int[rows + 1];
        List<int> indices = [0, 1, 2];
        List<float> values = [5f, 6f, 7f];
        for (int r = 0; r < rows; r++)
        {
            starts[r] = indices.Count;
            int first = indices.Count;
            for (int i = 0; r % 7 != 2 && i < width; i++)
            {
                if (random.NextDouble() >= density)
                {
                    continue;
                }

                double u = random.NextDouble();
                indices.Add(i);
                values.Add(u < 0.05 ? 0f : u < 0.1 ? -0f : (float)random.NextUniform(-1, 1));
            }

            if (indices.Count > first && r % 11 == 4)
            {
                values[first + (r % (indices.Count - first))] = float.NaN;
            }

            if (indices.Count > first && r % 13 == 6)
            {
                values[indices.Count - 1] = float.PositiveInfinity;
            }
        }

        starts[rows] = indices.Count;
        return new SparseRows(starts, [.. indices], [.. values], width);
    }

    /// <summary>Rows [<paramref name="first"/>, first + <paramref name="count"/>) as rows of their own, over the same arrays.</summary>
    /// <param name="first">First row.</param>
    /// <param name="count">Rows.</param>
    public SparseRows Slice(int first, int count) => new(RowStarts[first..(first + count + 1)], Indices, Values, Width);

    /// <summary>The same rows dense, row-major, every input not stored written as 0.</summary>
    public float[] Dense()
    {
        var dense = new float[Rows * Width];
        for (int r = 0; r < Rows; r++)
        {
            for (int k = RowStarts[r]; k < RowStarts[r + 1]; k++)
            {
                dense[(r * Width) + Indices[k]] = Values[k];
            }
        }

        return dense;
    }
}
