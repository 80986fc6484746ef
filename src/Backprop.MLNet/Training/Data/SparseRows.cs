using System.Diagnostics;
using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Training rows in compressed sparse row (CSR) form: row r holds entries <c>RowStarts[r] ≤ k &lt; RowStarts[r + 1]</c>
/// of <see cref="Indices"/> (strictly increasing within the row) and <see cref="Values"/>; every other input is 0. Memory
/// is proportional to the non-zeros: 8 bytes each, plus 4 per row.
/// </summary>
internal sealed class SparseRows
{
    /// <summary>Wraps the arrays after checking their shape (the indices are checked to lie in [0, width) and increase within each row).</summary>
    /// <param name="rowStarts">Rows + 1 offsets, starting at 0 and non-decreasing.</param>
    /// <param name="indices">Column indices.</param>
    /// <param name="values">Values.</param>
    /// <param name="width">Inputs per row.</param>
    public SparseRows(int[] rowStarts, int[] indices, float[] values, int width)
    {
        ArgumentNullException.ThrowIfNull(rowStarts);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(values);
        int rows = rowStarts.Length - 1;
        if (rows < 1 || rowStarts[0] != 0 || rowStarts[rows] > indices.Length || rowStarts[rows] > values.Length)
        {
            throw new ArgumentException("The row starts must begin at 0 and end within the indices and values.", nameof(rowStarts));
        }

        for (int r = 0; r < rows; r++)
        {
            int previous = -1;
            for (int k = rowStarts[r]; k < rowStarts[r + 1]; k++)
            {
                if (indices[k] <= previous || indices[k] >= width)
                {
                    throw new ArgumentException($"Row {r}: index {indices[k]} is not increasing or not below the width {width}.", nameof(indices));
                }

                previous = indices[k];
            }

            if (rowStarts[r + 1] < rowStarts[r])
            {
                throw new ArgumentException($"The row starts decrease at row {r}.", nameof(rowStarts));
            }
        }

        RowStarts = rowStarts;
        Indices = indices;
        Values = values;
        Width = width;
    }

    /// <summary>Wraps rows taken from checked rows (<see cref="KeepOnly"/>, <see cref="Select"/>), which keep their shape: no check again.</summary>
    private SparseRows(int[] rowStarts, int[] indices, float[] values, int width, bool fromCheckedRows)
    {
        Debug.Assert(fromCheckedRows && rowStarts[0] == 0 && rowStarts[^1] <= indices.Length && rowStarts[^1] <= values.Length);
        RowStarts = rowStarts;
        Indices = indices;
        Values = values;
        Width = width;
    }

    /// <summary>Rows + 1 offsets into <see cref="Indices"/> and <see cref="Values"/>.</summary>
    public int[] RowStarts { get; }

    /// <summary>Column indices of the non-zeros.</summary>
    public int[] Indices { get; }

    /// <summary>The non-zero values.</summary>
    public float[] Values { get; }

    /// <summary>Inputs per row.</summary>
    public int Width { get; }

    /// <summary>Number of rows.</summary>
    public int Rows => RowStarts.Length - 1;

    /// <summary>Number of stored entries.</summary>
    public int Entries => RowStarts[^1];

    /// <summary>The largest number of entries of one row.</summary>
    public int LongestRow
    {
        get
        {
            int longest = 0;
            for (int r = 0; r < Rows; r++)
            {
                longest = Math.Max(longest, RowStarts[r + 1] - RowStarts[r]);
            }

            return longest;
        }
    }

    /// <summary>Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="rows"/>) as a batch (a view).</summary>
    /// <param name="start">First row.</param>
    /// <param name="rows">Number of rows (≥ 1).</param>
    public InputBatch Batch(int start, int rows) => InputBatch.FromCsr(RowStarts.AsSpan(start, rows + 1), Indices, Values, Width);

    /// <summary>
    /// The rows whose numbers are listed (strictly increasing), as <see cref="Select"/> gives them, but moved to the front of
    /// this object's own <see cref="Indices"/> and <see cref="Values"/>, which the result holds (only its row starts are
    /// new): these rows are spent afterwards. Early stopping keeps nine rows in ten this way; a copy of the text workload's
    /// 15 MB was fresh memory whose first writes cost the first epoch ~45 ms.
    /// </summary>
    /// <param name="rows">Row numbers, strictly increasing (the caller checks).</param>
    public SparseRows KeepOnly(ReadOnlySpan<int> rows)
    {
        var starts = new int[rows.Length + 1];
        for (int k = 0; k < rows.Length; k++)
        {
            // Row rows[k] ≥ k starts at or after its new place, and the rows before it have moved already: a move down
            // overwrites only entries of rows already moved.
            int from = RowStarts[rows[k]], length = RowStarts[rows[k] + 1] - from;
            if (from != starts[k])
            {
                Array.Copy(Indices, from, Indices, starts[k], length);
                Array.Copy(Values, from, Values, starts[k], length);
            }

            starts[k + 1] = starts[k] + length;
        }

        return new SparseRows(starts, Indices, Values, Width, fromCheckedRows: true);
    }

    /// <summary>A copy of the rows whose numbers are listed, in that order.</summary>
    /// <param name="rows">Row numbers.</param>
    public SparseRows Select(ReadOnlySpan<int> rows)
    {
        int[] starts = LargeArrays.Allocate<int>(rows.Length + 1);
        for (int k = 0; k < rows.Length; k++)
        {
            starts[k + 1] = checked(starts[k] + RowStarts[rows[k] + 1] - RowStarts[rows[k]]);
        }

        int[] indices = LargeArrays.Allocate<int>(starts[^1]);
        float[] values = LargeArrays.Allocate<float>(starts[^1]);
        for (int k = 0; k < rows.Length; k++)
        {
            int from = RowStarts[rows[k]], length = RowStarts[rows[k] + 1] - from;
            Indices.AsSpan(from, length).CopyTo(indices.AsSpan(starts[k]));
            Values.AsSpan(from, length).CopyTo(values.AsSpan(starts[k]));
        }

        return new SparseRows(starts, indices, values, Width, fromCheckedRows: true);
    }
}
