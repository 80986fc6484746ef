using System.Runtime.CompilerServices;
namespace Backprop.MLNet.Engine.Sparse;

/// <summary>
/// The columns of one CSR batch: the inputs it touches (in order of first appearance, row by row) and, for each, its
/// entries in row order (a compressed-column index built by counting). Buffers grow to the largest batch and are
/// reused; building allocates nothing after that.
/// </summary>
internal sealed class BatchColumns
{
    private readonly int[] _stamp;
    private readonly int[] _position;
    private int[] _touched = [];
    private int[] _starts = [];
    private int[] _rows = [];
    private float[] _values = [];
    private int _batch;

    /// <summary>Creates the per-input bookkeeping for <paramref name="inputs"/> inputs.</summary>
    /// <param name="inputs">The first layer's fan-in.</param>
    public BatchColumns(int inputs)
    {
        _stamp = new int[inputs];
        _position = new int[inputs];
    }

    /// <summary>Number of inputs the last batch touched.</summary>
    public int TouchedCount { get; private set; }

    /// <summary>The inputs the last batch touched.</summary>
    public int[] Touched => _touched;

    /// <summary>Entry starts per touched input, [<see cref="TouchedCount"/> + 1].</summary>
    public int[] Starts => _starts;

    /// <summary>The batch row of each entry.</summary>
    public int[] Rows => _rows;

    /// <summary>The value of each entry.</summary>
    public float[] Values => _values;

    /// <summary>Indexes the columns of <paramref name="x"/> (a sparse batch).</summary>
    /// <param name="x">The batch.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Build(InputBatch x)
    {
        int entries = checked((int)x.Entries);
        Grow(ref _rows, entries);
        Grow(ref _values, entries);
        Grow(ref _touched, Math.Min(entries, _stamp.Length));
        Grow(ref _starts, Math.Min(entries, _stamp.Length) + 1);

        // A fresh stamp per batch marks the inputs seen, so nothing is cleared between batches.
        if (++_batch == int.MaxValue)
        {
            Array.Clear(_stamp);
            _batch = 1;
        }

        ReadOnlySpan<int> indices = x.Indices;
        ReadOnlySpan<float> values = x.Values;
        ReadOnlySpan<int> rowStarts = x.RowStarts;
        int touched = 0;
        for (int k = rowStarts[0]; k < rowStarts[x.Rows]; k++)
        {
            int input = indices[k];
            if (_stamp[input] != _batch)
            {
                _stamp[input] = _batch;
                _position[input] = touched;
                _touched[touched] = input;
                _starts[touched + 1] = 0;
                touched++;
            }

            _starts[_position[input] + 1]++;
        }

        _starts[0] = 0;
        for (int t = 0; t < touched; t++)
        {
            _starts[t + 1] += _starts[t];
        }

        // Fill: row order within each input, because rows are visited in order. _position becomes the next free slot.
        for (int t = 0; t < touched; t++)
        {
            _position[_touched[t]] = _starts[t];
        }

        for (int r = 0; r < x.Rows; r++)
        {
            for (int k = rowStarts[r]; k < rowStarts[r + 1]; k++)
            {
                int slot = _position[indices[k]]++;
                _rows[slot] = r;
                _values[slot] = values[k];
            }
        }

        TouchedCount = touched;
    }

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[Math.Max(length, buffer.Length * 2)];
        }
    }
}
