using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training.Data;

/// <summary>
/// A row source over rows computed from their number: row r has target r and weight 1 + r mod 3; dense rows hold
/// [r, r + 0.5, …], sparse rows r mod 5 non-zeros (r + k at index 2k + 1, and an explicit zero at index 0). Counts passes
/// and the rows each pass read, records the shuffle seeds asked for (it claims to shuffle when told to, but reads in order),
/// and can fail on a given pass at a given row.
/// </summary>
internal sealed class ListRowSource(int rows, int width, bool sparse, bool weighted = true) : IRowSource
{
    private readonly List<ulong?> _seeds = [];
    private readonly List<int[]> _rowsRead = [];

    public int InputSize => width;

    public int TargetWidth => 1;

    public bool HasWeights => weighted;

    public bool CanShuffle { get; init; }

    /// <summary>The pass (1 = the first) whose cursor throws at <see cref="FailAtRow"/>, or 0 for none.</summary>
    public int FailOnPass { get; init; }

    public int FailAtRow { get; init; }

    public int Passes
    {
        get
        {
            lock (_seeds)
            {
                return _seeds.Count;
            }
        }
    }

    /// <summary>The seed each pass was opened with.</summary>
    public ulong?[] Seeds
    {
        get
        {
            lock (_seeds)
            {
                return [.. _seeds];
            }
        }
    }

    /// <summary>The rows pass <paramref name="pass"/> (0-based) has read so far.</summary>
    public int RowsRead(int pass)
    {
        lock (_seeds)
        {
            return Volatile.Read(ref _rowsRead[pass][0]);
        }
    }

    public IRowCursor Open(ulong? shuffleSeed)
    {
        int[] counter = [0];
        int pass;
        lock (_seeds)
        {
            _seeds.Add(shuffleSeed);
            _rowsRead.Add(counter);
            pass = _seeds.Count;
        }

        return new Cursor(rows, width, sparse, weighted, counter, pass == FailOnPass ? FailAtRow : -1);
    }

    /// <summary>The features of row <paramref name="r"/> as a dense vector.</summary>
    public static float[] Dense(int r, int width, bool sparse)
    {
        var x = new float[width];
        for (int i = 0; i < width; i++)
        {
            x[i] = sparse ? 0f : r + (0.5f * i);
        }

        if (sparse)
        {
            for (int k = 0; k < r % 5 && (2 * k) + 1 < width; k++)
            {
                x[(2 * k) + 1] = r + k;
            }
        }

        return x;
    }

    /// <summary>The exception a failing pass throws.</summary>
    public sealed class ReadFailure(string message) : Exception(message);

    private sealed class Cursor(int rows, int width, bool sparse, bool weighted, int[] counter, int failAt) : IRowCursor
    {
        private readonly float[] _target = new float[1];
        private float[] _values = [];
        private int[] _indices = [];
        private int _row = -1;

        public bool IsDense => !sparse;

        public ReadOnlySpan<float> Values => _values;

        public ReadOnlySpan<int> Indices => _indices;

        public ReadOnlySpan<float> Target => _target;

        public float Weight => weighted ? 1 + (_row % 3) : 1;

        public ulong Id => (ulong)_row;

        public bool MoveNext()
        {
            if (++_row >= rows)
            {
                return false;
            }

            if (_row == failAt)
            {
                throw new ReadFailure($"row {_row} could not be read");
            }

            Volatile.Write(ref counter[0], _row + 1);

            _target[0] = _row;
            float[] dense = Dense(_row, width, sparse);
            if (!sparse)
            {
                _values = dense;
                return true;
            }

            _indices = [0, .. Enumerable.Range(0, width).Where(i => dense[i] != 0)];
            _values = [0f, .. _indices.Skip(1).Select(i => dense[i])];
            return true;
        }

        public void Dispose()
        {
        }
    }
}
