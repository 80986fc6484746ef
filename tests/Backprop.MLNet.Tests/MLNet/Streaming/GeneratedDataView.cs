using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Streaming;

/// <summary>
/// A data view whose rows are computed from their number on every read, so it holds nothing however many rows it has:
/// <c>Features</c> (a vector of <see cref="Width"/> Singles on different scales, every <c>SparseEvery</c>-th one zero),
/// <c>Label</c> (Boolean, from a fixed nonlinear rule) and <c>Weight</c> (Single). It can be told to throw an exception
/// at a given row of a given pass, to test that a failing source surfaces unchanged.
/// </summary>
internal sealed class GeneratedDataView : IDataView
{
    private readonly long _rows;
    private int _passes;

    public GeneratedDataView(long rows, int width = 12, bool knowsRowCount = true)
    {
        _rows = rows;
        Width = width;
        KnowsRowCount = knowsRowCount;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, width));
        builder.AddColumn("Label", BooleanDataViewType.Instance);
        builder.AddColumn("Weight", NumberDataViewType.Single);
        Schema = builder.ToSchema();
    }

    public int Width { get; }

    public bool KnowsRowCount { get; }

    /// <summary>The exception to throw, and where: the pass (1 = the first cursor with the features active) and the row.</summary>
    public (Exception Error, int Pass, long Row)? Failure { get; set; }

    /// <summary>Cursors opened with the features active so far.</summary>
    public int Passes => _passes;

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => KnowsRowCount ? _rows : null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        bool features = columnsNeeded.Any(c => c.Index == 0);
        int pass = features ? Interlocked.Increment(ref _passes) : 0;
        return new Cursor(this, pass);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    /// <summary>Feature <paramref name="i"/> of row <paramref name="row"/>: a hash-based value in about [−1, 1], times a per-feature scale.</summary>
    public static float Feature(long row, int i)
    {
        if (i % 4 == 3 && (row + i) % 3 != 0)
        {
            return 0f; // a quarter of the features are mostly zeros
        }

        ulong h = unchecked(((ulong)row * 0x9E3779B97F4A7C15UL) ^ ((ulong)(i + 1) * 0xBF58476D1CE4E5B9UL));
        h ^= h >> 31;
        h = unchecked(h * 0x94D049BB133111EBUL);
        h ^= h >> 29;
        double u = ((h >> 11) * (1.0 / (1UL << 53)) * 2) - 1;
        return (float)(u * Math.Pow(10, (i % 5) - 2)); // scales 0.01 … 100: the trainer's standardisation must cope
    }

    /// <summary>An interaction of two features plus a linear part: a linear model cannot learn it well, a small network can.</summary>
    public static bool Label(long row, int width)
    {
        double U(int i) => Feature(row, i % width) / Math.Pow(10, (i % width % 5) - 2);
        return (U(0) * U(2)) + (0.25 * (U(1) - U(4))) > 0;
    }

    public static float Weight(long row) => 0.5f + (row % 4 * 0.25f);

    private sealed class Cursor(GeneratedDataView parent, int pass) : DataViewRowCursor
    {
        private long _position = -1;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => parent.Schema;

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override bool MoveNext()
        {
            if (_position + 1 >= parent._rows)
            {
                return false;
            }

            _position++;
            if (parent.Failure is { } failure && failure.Pass == pass && failure.Row == _position)
            {
                throw failure.Error;
            }

            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    var editor = VBufferEditor.Create(ref value, parent.Width);
                    for (int i = 0; i < parent.Width; i++)
                    {
                        editor.Values[i] = Feature(_position, i);
                    }

                    value = editor.Commit();
                }),
                1 => (ValueGetter<bool>)((ref bool value) => value = Label(_position, parent.Width)),
                _ => (ValueGetter<float>)((ref float value) => value = Weight(_position)),
            };
            return (ValueGetter<TValue>)getter;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
    }
}
