using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine;

/// <summary>
/// The rows fed to a network's first layer: dense, row-major [rows × width], or compressed sparse rows (CSR): row r
/// holds the entries <c>RowStarts[r] ≤ k &lt; RowStarts[r + 1]</c> of <see cref="Indices"/> and <see cref="Values"/>, its
/// column indices strictly increasing, every other input 0. Only the first layer reads a sparse batch; the layers
/// after it are dense. A view: it owns nothing.
/// </summary>
internal readonly ref struct InputBatch
{
    private InputBatch(int rows, int width, ReadOnlySpan<float> dense, ReadOnlySpan<int> rowStarts, ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        Rows = rows;
        Width = width;
        Dense = dense;
        RowStarts = rowStarts;
        Indices = indices;
        Values = values;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Inputs per row (the first layer's fan-in).</summary>
    public int Width { get; }

    /// <summary>Whether the rows are in CSR form (else <see cref="Dense"/>).</summary>
    public bool IsSparse => !RowStarts.IsEmpty;

    /// <summary>Dense rows, [rows × width] (empty for a sparse batch).</summary>
    public ReadOnlySpan<float> Dense { get; }

    /// <summary>CSR row starts, <see cref="Rows"/> + 1 offsets into <see cref="Indices"/> and <see cref="Values"/> (empty for a dense batch).</summary>
    public ReadOnlySpan<int> RowStarts { get; }

    /// <summary>CSR column indices (addressed through <see cref="RowStarts"/>).</summary>
    public ReadOnlySpan<int> Indices { get; }

    /// <summary>CSR values (addressed through <see cref="RowStarts"/>).</summary>
    public ReadOnlySpan<float> Values { get; }

    /// <summary>Non-zero entries of a sparse batch (its last row start minus its first); rows × width for a dense one.</summary>
    public long Entries => IsSparse ? RowStarts[Rows] - RowStarts[0] : (long)Rows * Width;

    /// <summary>A dense batch.</summary>
    /// <param name="values">The rows, row-major; at least rows × width values (extra trailing values are ignored).</param>
    /// <param name="rows">Number of rows (≥ 1).</param>
    /// <param name="width">Inputs per row (≥ 1).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static InputBatch FromDense(ReadOnlySpan<float> values, int rows, int width)
    {
        if (rows < 1 || width < 1 || values.Length < (long)rows * width)
        {
            throw new ArgumentException($"A dense batch of {rows} rows × {width} inputs needs {(long)rows * width} values; got {values.Length}.", nameof(values));
        }

        return new InputBatch(rows, width, values[..(rows * width)], default, default, default);
    }

    /// <summary>A sparse (CSR) batch. The offsets are checked to be non-decreasing and within the arrays; the column indices are trusted.</summary>
    /// <param name="rowStarts">Rows + 1 offsets into <paramref name="indices"/> and <paramref name="values"/> (need not start at 0).</param>
    /// <param name="indices">Column indices, strictly increasing within each row, each in [0, width).</param>
    /// <param name="values">The non-zero values.</param>
    /// <param name="width">Inputs per row (≥ 1).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static InputBatch FromCsr(ReadOnlySpan<int> rowStarts, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int width)
    {
        int rows = rowStarts.Length - 1;
        if (rows < 1 || width < 1 || rowStarts[0] < 0 || rowStarts[rows] > Math.Min(indices.Length, values.Length))
        {
            throw new ArgumentException(
                $"A CSR batch needs at least 2 row starts within its {indices.Length} indices and {values.Length} values; got {rowStarts.Length} starts.",
                nameof(rowStarts));
        }

        for (int r = 0; r < rows; r++)
        {
            if (rowStarts[r + 1] < rowStarts[r])
            {
                throw new ArgumentException($"CSR row starts must not decrease (row {r}: {rowStarts[r]} then {rowStarts[r + 1]}).", nameof(rowStarts));
            }
        }

        return new InputBatch(rows, width, default, rowStarts, indices, values);
    }

    /// <summary>The indices of row <paramref name="row"/>'s non-zero inputs (sparse batches only).</summary>
    /// <param name="row">0 ≤ row &lt; <see cref="Rows"/>.</param>
    public ReadOnlySpan<int> RowIndices(int row) => Indices[RowStarts[row]..RowStarts[row + 1]];

    /// <summary>The values of row <paramref name="row"/>'s non-zero inputs (sparse batches only).</summary>
    /// <param name="row">0 ≤ row &lt; <see cref="Rows"/>.</param>
    public ReadOnlySpan<float> RowValues(int row) => Values[RowStarts[row]..RowStarts[row + 1]];
}
