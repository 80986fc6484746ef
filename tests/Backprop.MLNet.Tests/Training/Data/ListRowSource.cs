using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training.Data;

/// <summary>
/// A row source over rows computed from their number: row r has target r and weight 1 + r mod 3; dense rows hold
/// [r, r + 0.5, …], sparse rows r mod 5 non-zeros (r + k at index 2k + 1, and an explicit zero at index 0). Counts passes.
/// </summary>
internal sealed class ListRowSource(int rows, int width, bool sparse, bool weighted = true) : IRowSource
{
    public int InputSize => width;

    public int TargetWidth => 1;

    public bool HasWeights => weighted;

    public bool CanShuffle => false;

    public int Passes { get; private set; }

    public IRowCursor Open(ulong? shuffleSeed)
    {
        Passes++;
        return new Cursor(rows, width, sparse, weighted);
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

    private sealed class Cursor(int rows, int width, bool sparse, bool weighted) : IRowCursor
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
