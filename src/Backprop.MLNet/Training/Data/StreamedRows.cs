using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Training rows that stay in their source and are read again every pass (the trainer's <c>DataCaching.Streaming</c>): memory
/// is one minibatch and the shuffle buffer, whatever the row count. The reading pass that measured the rows (count, weight,
/// storage) gives the figures this holds.
/// </summary>
internal sealed class StreamedRows : ITrainingRows
{
    /// <summary>The memory the default shuffle buffer may take.</summary>
    public const long DefaultShuffleBufferBytes = 256L << 20;

    /// <summary>The fewest rows the default shuffle buffer holds.</summary>
    public const int MinimumShuffleBufferRows = 1024;

    private readonly IRowSource _source;
    private readonly RowFilter? _filter;
    private InputStandardization? _standardization;

    /// <summary>Wraps a source.</summary>
    /// <param name="source">The rows.</param>
    /// <param name="rows">The number of rows the source gives (≥ 1).</param>
    /// <param name="totalWeight">Σ of their weights.</param>
    /// <param name="sparse">Whether minibatches hold the features in CSR form.</param>
    /// <param name="shuffleBufferRows">Rows in the shuffle buffer (≥ 1).</param>
    public StreamedRows(IRowSource source, long rows, double totalWeight, bool sparse, int shuffleBufferRows)
        : this(source, rows, totalWeight, sparse, shuffleBufferRows, null, null)
    {
    }

    private StreamedRows(IRowSource source, long rows, double totalWeight, bool sparse, int shuffleBufferRows, RowFilter? filter, InputStandardization? standardization)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shuffleBufferRows, 1);
        _source = source;
        Rows = rows;
        TotalWeight = totalWeight;
        IsSparse = sparse;
        ShuffleBufferRows = shuffleBufferRows;
        _filter = filter;
        _standardization = standardization;
    }

    /// <inheritdoc />
    public long Rows { get; }

    /// <inheritdoc />
    public int InputSize => _source.InputSize;

    /// <inheritdoc />
    public int TargetWidth => _source.TargetWidth;

    /// <inheritdoc />
    public bool IsSparse { get; }

    /// <inheritdoc />
    public double TotalWeight { get; }

    /// <summary>Rows in the shuffle buffer.</summary>
    public int ShuffleBufferRows { get; }

    /// <summary>
    /// The default shuffle buffer: the rows that fit in <see cref="DefaultShuffleBufferBytes"/>, at least
    /// <see cref="MinimumShuffleBufferRows"/> and at most <paramref name="rows"/>.
    /// </summary>
    /// <param name="rows">The rows of the data.</param>
    /// <param name="bytesPerRow">What one row takes in the buffer.</param>
    public static int DefaultShuffleBufferRows(long rows, double bytesPerRow)
    {
        double fit = Math.Max(MinimumShuffleBufferRows, Math.Floor(DefaultShuffleBufferBytes / Math.Max(1, bytesPerRow)));
        return (int)Math.Max(1, Math.Min(rows, fit));
    }

    /// <summary>What one row takes in a shuffle buffer: dense, all its features; sparse, its non-zeros and two arrays' headers.</summary>
    /// <param name="inputSize">Features per row.</param>
    /// <param name="targetWidth">Target values per row.</param>
    /// <param name="sparseEntries">For sparse rows the mean non-zeros per row, else null.</param>
    public static double ShuffleBufferBytesPerRow(int inputSize, int targetWidth, double? sparseEntries) =>
        (4.0 * (targetWidth + 1)) + (sparseEntries is { } entries ? (8.0 * entries) + 64 : 4.0 * inputSize);

    /// <inheritdoc />
    public IMinibatchSource Batches(int batchSize, bool shuffle, SeededRandom? random, int threads = 1)
    {
        if (shuffle)
        {
            ArgumentNullException.ThrowIfNull(random);
        }

        // When the buffer holds every row, drawing from it alone is a full random permutation: the source's own shuffling
        // (costly for .idv files, whose shuffled cursor reads blocks out of order through a pool of its own) adds nothing.
        return new StreamingMinibatchSource(_source, (int)Math.Min(batchSize, Rows), IsSparse, shuffle ? random : null, ShuffleBufferRows, _standardization, _filter,
            sourceShuffles: ShuffleBufferRows < Rows);
    }

    /// <inheritdoc />
    public void Standardize(InputStandardization standardization)
    {
        ArgumentNullException.ThrowIfNull(standardization);
        if (_standardization is not null)
        {
            throw new InvalidOperationException("The rows are already standardised.");
        }

        _standardization = standardization;
    }

    /// <summary>
    /// Splits by a seeded hash of each row's identity: about <paramref name="fraction"/> of the rows, not stratified (the
    /// rows are not held to count them by class). Both parts report the whole source's row count as theirs (an upper bound
    /// that only sizes buffers) and their expected share of its weight.
    /// </summary>
    public (ITrainingRows Train, ITrainingRows Validation) HoldOut(double fraction, bool stratifyByTarget, SeededRandom random)
    {
        if (_filter is not null)
        {
            throw new InvalidOperationException("The rows are already split.");
        }

        ulong seed = random.NextUInt64();
        return (
            new StreamedRows(_source, Rows, TotalWeight * (1 - fraction), IsSparse, ShuffleBufferRows, new RowFilter(seed, fraction, HeldOut: false), _standardization),
            new StreamedRows(_source, Rows, TotalWeight * fraction, IsSparse, ShuffleBufferRows, new RowFilter(seed, fraction, HeldOut: true), _standardization));
    }
}
