using System.Globalization;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Sparse;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// Collects the training rows' feature vectors in the storage they need: dense (rows × features floats) or sparse (the
/// non-zeros and their indices, CSR). With <see cref="FeatureStorage.Auto"/> the first <see cref="SampleRows"/> rows are
/// held in CSR form and their density decides; the rows read so far are then converted once. Before the storage is
/// allocated (and again whenever sparse storage grows) the bytes it needs are compared with the memory available, so data
/// that cannot fit is refused at once with a message that names the remedies, rather than after gigabytes of reading; or,
/// when the collector may give up (<see cref="DataCaching.Auto"/>), it lets the rows go and says so
/// (<see cref="GaveUp"/>), so the reading pass carries on for streaming.
/// </summary>
internal sealed class FeatureCollector
{
    /// <summary>Rows whose density decides the storage in automatic mode.</summary>
    public const int SampleRows = 1024;

    /// <summary>The largest fraction of non-zero values for which automatic mode picks sparse storage.</summary>
    public const double SparseDensity = 0.25;

    private readonly int _width;
    private readonly long _expectedRows;
    private readonly long _availableBytes;
    private readonly string _purpose;
    private readonly bool _mayGiveUp;
    private FeatureStorage _storage;
    private GrowableMatrix? _dense;
    private int[] _rowStarts;
    private int[] _indices;
    private float[] _values;
    private int _rows;
    private long _entries;

    /// <summary>Prepares the collection.</summary>
    /// <param name="width">Features per row.</param>
    /// <param name="expectedRows">The rows the data holds (valid or not): sizes the storage and the estimate.</param>
    /// <param name="storage">The requested storage.</param>
    /// <param name="availableBytes">The memory the features may take.</param>
    /// <param name="purpose">"training" or "validation", for messages.</param>
    /// <param name="mayGiveUp">Give up (<see cref="GaveUp"/>) rather than throw when the rows do not fit.</param>
    public FeatureCollector(int width, long expectedRows, FeatureStorage storage, long availableBytes, string purpose, bool mayGiveUp = false)
    {
        _mayGiveUp = mayGiveUp;
        _width = width;
        _expectedRows = Math.Max(1, expectedRows);
        _availableBytes = availableBytes;
        _purpose = purpose;
        _storage = storage;
        int startRows = (int)Math.Min(_expectedRows, storage == FeatureStorage.Auto ? SampleRows : int.MaxValue - 1);
        _rowStarts = new int[storage == FeatureStorage.Dense ? 0 : startRows + 1];
        _indices = [];
        _values = [];
        if (storage == FeatureStorage.Dense)
        {
            try
            {
                StartDense();
            }
            catch (InsufficientMemoryException) when (mayGiveUp)
            {
                GiveUp();
            }
        }
    }

    /// <summary>Whether the rows did not fit and were let go (only when the collector may give up); <see cref="Add"/> then ignores rows.</summary>
    public bool GaveUp { get; private set; }

    /// <summary>Whether automatic storage picks sparse for rows with this many non-zeros.</summary>
    /// <param name="entries">Non-zeros counted.</param>
    /// <param name="rows">Rows counted.</param>
    /// <param name="width">Features per row.</param>
    public static bool IsSparseEnough(long entries, long rows, int width) => rows > 0 && entries / ((double)rows * width) <= SparseDensity;

    /// <summary>The storage chosen (Auto until the sample has been read).</summary>
    public FeatureStorage Storage => _storage;

    /// <summary>Rows collected.</summary>
    public int Rows => _rows;

    /// <summary>Appends one row (already checked: right length, finite values); ignored once the collector has given up.</summary>
    /// <param name="values">All its values (dense), or those at <paramref name="indices"/>.</param>
    /// <param name="indices">The increasing indices of sparse values; empty for a dense row.</param>
    /// <param name="isDense">Whether <paramref name="values"/> holds every feature.</param>
    public void Add(ReadOnlySpan<float> values, ReadOnlySpan<int> indices, bool isDense)
    {
        if (GaveUp)
        {
            return;
        }

        try
        {
            if (_storage == FeatureStorage.Dense)
            {
                Span<float> dense = _dense!.AppendRow();
                if (isDense)
                {
                    values.CopyTo(dense);
                }
                else
                {
                    dense.Clear();
                    for (int k = 0; k < values.Length; k++)
                    {
                        dense[indices[k]] = values[k];
                    }
                }

                _rows++;
                return;
            }

            AddSparse(values, indices, isDense);
            if (_storage == FeatureStorage.Auto && _rows == SampleRows)
            {
                Decide();
            }
            else if (_storage == FeatureStorage.Sparse && _rows == SampleRows)
            {
                CheckFits(EstimatedSparseBytes(), "sparse");
            }
        }
        catch (InsufficientMemoryException) when (_mayGiveUp)
        {
            GiveUp();
        }
    }

    /// <summary>The features collected: dense values, or sparse rows (exactly one is not null; both when the collector gave up).</summary>
    public (float[]? Dense, SparseRows? Sparse) Take()
    {
        try
        {
            Decide();
        }
        catch (InsufficientMemoryException) when (_mayGiveUp)
        {
            GiveUp();
        }

        if (GaveUp)
        {
            return (null, null);
        }

        if (_storage == FeatureStorage.Dense)
        {
            return (_dense!.Take(), null);
        }

        LargeArrays.Resize(ref _rowStarts, _rows + 1);
        LargeArrays.Resize(ref _indices, (int)_entries);
        LargeArrays.Resize(ref _values, (int)_entries);
        return (null, new SparseRows(_rowStarts, _indices, _values, _width));
    }

    /// <summary>Appends the non-zeros of a row to the CSR buffers (explicit zeros are dropped: they change nothing).</summary>
    private void AddSparse(ReadOnlySpan<float> values, ReadOnlySpan<int> indices, bool isDense)
    {
        if (_rows + 1 >= _rowStarts.Length)
        {
            LargeArrays.Resize(ref _rowStarts, (int)Math.Min(int.MaxValue - 1L, Math.Max(_rowStarts.Length * 2L, _rows + 2L)));
        }

        EnsureEntries(_entries + values.Length);
        int k = (int)_entries + NonZeros.Copy(isDense, values, indices, _indices.AsSpan((int)_entries), _values.AsSpan((int)_entries));
        _entries = k;
        _rows++;
        _rowStarts[_rows] = k;
    }

    /// <summary>Picks the storage from the rows read so far and converts them when dense wins.</summary>
    private void Decide()
    {
        if (_storage != FeatureStorage.Auto)
        {
            return;
        }

        double density = _rows == 0 ? 1 : _entries / ((double)_rows * _width);
        if (density <= SparseDensity)
        {
            _storage = FeatureStorage.Sparse;
            CheckFits(EstimatedSparseBytes(), "sparse");
            if (_expectedRows + 1 > _rowStarts.Length)
            {
                LargeArrays.Resize(ref _rowStarts, (int)Math.Min(int.MaxValue - 1L, _expectedRows + 1));
            }

            return;
        }

        _storage = FeatureStorage.Dense;
        StartDense();
        for (int r = 0; r < _rows; r++)
        {
            Span<float> dense = _dense!.AppendRow();
            for (int k = _rowStarts[r]; k < _rowStarts[r + 1]; k++)
            {
                dense[_indices[k]] = _values[k];
            }
        }

        _indices = [];
        _values = [];
        _rowStarts = [];
    }

    private void StartDense()
    {
        double bytes = 4.0 * _expectedRows * _width;
        CheckFits(bytes, "dense");
        if ((double)_expectedRows * _width > Array.MaxLength)
        {
            throw TooLarge(bytes, "dense", $"more values ({(double)_expectedRows * _width:G3}) than one .NET array holds ({Array.MaxLength:N0})");
        }

        _dense = new GrowableMatrix(_width, (int)_expectedRows);
    }

    /// <summary>Grows the CSR buffers to hold <paramref name="entries"/>, sized from the estimate once it exists.</summary>
    private void EnsureEntries(long entries)
    {
        if (entries <= _indices.Length)
        {
            return;
        }

        long target = Math.Max(entries, Math.Max(_indices.Length * 2L, 1024));
        if (_rows >= SampleRows)
        {
            // Past the sample, grow towards the estimate of the whole data rather than by doubling.
            target = Math.Max(entries, Math.Min(target, (long)(EstimatedEntries() * 1.05) + 1024));
        }

        if (target > Array.MaxLength)
        {
            throw TooLarge(8.0 * entries, "sparse", $"more non-zeros ({entries:N0}) than one .NET array holds ({Array.MaxLength:N0})");
        }

        CheckFits(8.0 * target, "sparse");
        LargeArrays.Resize(ref _indices, (int)target);
        LargeArrays.Resize(ref _values, (int)target);
    }

    /// <summary>Lets the rows go: the data does not fit, and the reading pass goes on for streaming.</summary>
    private void GiveUp()
    {
        GaveUp = true;
        _dense = null;
        _rowStarts = [];
        _indices = [];
        _values = [];
    }

    private double EstimatedEntries() => _rows == 0 ? 0 : (double)_entries / _rows * _expectedRows;

    private double EstimatedSparseBytes() => (8.0 * EstimatedEntries()) + (4.0 * _expectedRows);

    private void CheckFits(double bytes, string storage)
    {
        if (bytes > _availableBytes)
        {
            throw TooLarge(bytes, storage, $"more than the {GiB(_availableBytes)} of memory available");
        }
    }

    private InsufficientMemoryException TooLarge(double bytes, string storage, string limit)
    {
        string density = _rows == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $" ({_entries / ((double)_rows * _width):P3} of the values in the first {_rows:N0} rows are non-zero)");
        return Errors.DataTooLarge(
            $"the {_purpose} data, {_expectedRows:N0} rows × {_width:N0} features{density}, needs about {GiB(bytes)} as {storage} float32 features, {limit}",
            "Stream the rows from the data view instead of holding them (Caching = DataCaching.Streaming, or Auto to decide from the memory available); " +
            "keep the features sparse (FeatureStorage = Auto or Sparse) if they are mostly zeros; make fewer features, e.g. hash text with " +
            "mlContext.Transforms.Text.ProduceHashedWordBags or use fewer n-grams in FeaturizeText; or train on a sample of the rows " +
            "(mlContext.Data.TakeRows, or a filter).");
    }

    private static string GiB(double bytes) => (bytes / (1L << 30)).ToString("G4", CultureInfo.InvariantCulture) + " GiB";
}
