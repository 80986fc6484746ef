using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Sparse;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// The feature rows of one block, kept in the form of the block's first row: compressed sparse rows (CSR) when it is a
/// sparse vector, dense [rows × inputs] when it is dense. Buffers grow on demand and are reused from block to block, so a
/// block of sparse rows holds memory in proportion to its non-zeros, never rows × inputs.
/// </summary>
/// <remarks>
/// <para><b>The rule.</b> A block's first row picks its form. A sparse block takes a later dense row as the list of its
/// non-zero inputs (NaN included), and a dense block takes a later sparse row by writing it out dense. A sparse block
/// turns dense once its entries pass half of its rows × inputs (where CSR, at 8 bytes an entry, would outgrow the dense
/// form's 4 bytes an input), so no block ever holds more than the dense form would.</para>
/// <para><b>Exact either way.</b> The network gives a row the same bits dense or sparse (zeros left out or written out,
/// see <see cref="PackedNetwork"/>), so the form changes memory and speed, never a score.</para>
/// <para>Sparse vectors are checked as they come in (indices strictly increasing, in range: ML.NET's contract for a
/// sparse VBuffer, which its release builds do not check), so a malformed vector fails at the row that carries it.</para>
/// </remarks>
/// <param name="inputs">Inputs per row (the model's input size).</param>
/// <param name="capacity">Largest number of rows (≥ 1).</param>
internal sealed class BlockFeatures(int inputs, int capacity)
{
    /// <summary>The smallest CSR buffer made, in entries (a few rows of text features).</summary>
    private const int MinimumEntries = 1024;

    private readonly int[] _rowStarts = new int[capacity + 1];
    private int[] _indices = [];
    private float[] _values = [];
    private float[] _dense = [];
    private int _entries;

    /// <summary>Rows added since the last <see cref="Clear"/>.</summary>
    public int Rows { get; private set; }

    /// <summary>Whether the rows are held in CSR form (else dense).</summary>
    public bool IsSparse { get; private set; }

    /// <summary>Bytes of the buffers held now (CSR and dense, whether in use or kept for reuse).</summary>
    public long BufferBytes => ((long)_rowStarts.Length + _indices.Length + _values.Length + _dense.Length) * sizeof(float);

    /// <summary>Empties the block (buffers are kept).</summary>
    public void Clear()
    {
        Rows = 0;
        _entries = 0;
    }

    /// <summary>Adds one row (the first row after <see cref="Clear"/> picks the block's form).</summary>
    /// <param name="features">The row's features, of length <c>inputs</c>.</param>
    /// <exception cref="InvalidOperationException">The block is full.</exception>
    /// <exception cref="ArgumentException">A sparse vector's indices are out of range or order.</exception>
    public void Add(in VBuffer<float> features)
    {
        if (Rows == capacity)
        {
            throw new InvalidOperationException($"The block is full ({capacity} rows).");
        }

        ReadOnlySpan<float> values = features.GetValues();
        ReadOnlySpan<int> indices = features.GetIndices();
        if (!features.IsDense)
        {
            CsrRows.CheckIndices(indices, inputs);
        }

        if (Rows == 0)
        {
            IsSparse = !features.IsDense;
        }

        if (!IsSparse)
        {
            WriteDense(Rows, features.IsDense, indices, values);
            Rows++;
            return;
        }

        if (features.IsDense)
        {
            AppendNonzero(values);
        }
        else
        {
            Append(indices, values);
        }

        _rowStarts[Rows + 1] = _entries;
        Rows++;
        if (2L * _entries > (long)Rows * inputs)
        {
            ToDense();
        }
    }

    /// <summary>The first <paramref name="rows"/> rows as the network's input batch (a view of these buffers).</summary>
    /// <param name="rows">1 ≤ rows ≤ <see cref="Rows"/>.</param>
    public InputBatch Batch(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Rows);
        return IsSparse
            ? InputBatch.FromCsr(_rowStarts.AsSpan(0, rows + 1), _indices, _values, inputs)
            : InputBatch.FromDense(_dense, rows, inputs);
    }

    /// <summary>Writes row <paramref name="row"/> into the dense buffer (made on first use): copied, or cleared and scattered.</summary>
    private void WriteDense(int row, bool isDense, ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        if (_dense.Length == 0)
        {
            _dense = new float[checked(capacity * inputs)];
        }

        Span<float> slot = _dense.AsSpan(row * inputs, inputs);
        if (isDense)
        {
            values.CopyTo(slot);
            return;
        }

        slot.Clear();
        for (int k = 0; k < indices.Length; k++)
        {
            slot[indices[k]] = values[k];
        }
    }

    /// <summary>Appends one sparse row's entries.</summary>
    private void Append(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        EnsureEntries(_entries + indices.Length);
        indices.CopyTo(_indices.AsSpan(_entries));
        values.CopyTo(_values.AsSpan(_entries));
        _entries += indices.Length;
    }

    /// <summary>Appends one dense row's non-zero inputs (x != 0, so NaN is kept) in increasing order.</summary>
    private void AppendNonzero(ReadOnlySpan<float> values)
    {
        EnsureEntries(_entries + NonZeros.Count(values));
        _entries += NonZeros.Copy(isDense: true, values, default, _indices.AsSpan(_entries), _values.AsSpan(_entries));
    }

    /// <summary>Grows the CSR buffers to hold at least <paramref name="entries"/> entries (doubling, so growth is amortised).</summary>
    private void EnsureEntries(int entries)
    {
        if (entries <= _indices.Length)
        {
            return;
        }

        int length = (int)Math.Min(Array.MaxLength, Math.Max(Math.Max(entries, MinimumEntries), 2L * _indices.Length));
        Array.Resize(ref _indices, length);
        Array.Resize(ref _values, length);
    }

    /// <summary>Rewrites the rows held in CSR form dense and holds the rest of the block dense.</summary>
    private void ToDense()
    {
        if (_dense.Length == 0)
        {
            _dense = new float[checked(capacity * inputs)];
        }

        CsrRows.Scatter(Batch(Rows), _dense);
        IsSparse = false;
        _entries = 0;
    }
}
