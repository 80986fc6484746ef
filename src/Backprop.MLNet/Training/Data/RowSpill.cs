using System.Buffers;
using System.Runtime.InteropServices;
using Backprop.MLNet.Engine;
using Microsoft.Win32.SafeHandles;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Rows decoded once and written to a temporary file, to be read back every epoch at the cost of copying bytes (the
/// trainer's <c>DataCaching.Disk</c>): a compressed <c>.idv</c> file, a parsed text file or a database query is then
/// decoded once instead of once per pass. Each row is stored as read (dense or sparse, its targets, weight and identity),
/// bit for bit. The file is written in blocks of whole rows; a pass reads the blocks in order, or in a seeded random order
/// (the rows within a block stay in order: the trainer's shuffle buffer mixes them). The file is removed when the spill is
/// disposed (on Unix at once: only the open handle keeps it, so not even a crash leaves it behind). After
/// <see cref="Complete"/> any number of passes may read it at once, from any threads.
/// </summary>
internal sealed class RowSpill : IDisposable
{
    /// <summary>The size of a block of rows (a row larger than this has a block of its own).</summary>
    public const int BlockBytes = 1 << 20;

    /// <summary>How often, in bytes written, the free space of the file's disk is looked at.</summary>
    public const long FreeSpaceCheckBytes = 64L << 20;

    private readonly SafeFileHandle _file;
    private readonly Func<long> _freeBytes;
    private readonly long _reserveBytes;
    private readonly List<long> _blockStarts = [];
    private byte[] _buffer = new byte[BlockBytes];
    private int _used;
    private long _length;
    private long _checkedAt;
    private int _largestBlock;
    private bool _complete;

    private RowSpill(SafeFileHandle file, string path, int inputSize, int targetWidth, Func<long> freeBytes, long reserveBytes)
    {
        _file = file;
        Path = path;
        InputSize = inputSize;
        TargetWidth = targetWidth;
        _freeBytes = freeBytes;
        _reserveBytes = reserveBytes;
    }

    /// <summary>Where the file was made (on Unix it no longer has a name there).</summary>
    public string Path { get; }

    /// <summary>Features per row.</summary>
    public int InputSize { get; }

    /// <summary>Target values per row.</summary>
    public int TargetWidth { get; }

    /// <summary>Rows written.</summary>
    public long Rows { get; private set; }

    /// <summary>The free space of the file's disk now.</summary>
    public long FreeBytes() => _freeBytes();

    /// <summary>Bytes written (including those still in the write buffer).</summary>
    public long Bytes => _length + _used;

    /// <summary>
    /// Makes the file in <paramref name="directory"/>. Failing to make it throws the I/O exception, which the caller turns
    /// into a message or a fallback.
    /// </summary>
    /// <param name="directory">An existing directory.</param>
    /// <param name="inputSize">Features per row.</param>
    /// <param name="targetWidth">Target values per row.</param>
    /// <param name="reserveBytes">Free space to leave on the disk: writing stops with an <see cref="IOException"/> before it would take it.</param>
    /// <param name="freeBytes">The disk's free space (null: asked of the file system).</param>
    public static RowSpill Create(string directory, int inputSize, int targetWidth, long reserveBytes, Func<long>? freeBytes = null)
    {
        string path = System.IO.Path.Combine(directory, $"backprop-mlnet-{Guid.NewGuid():N}.rows");
        SafeFileHandle file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
        if (!OperatingSystem.IsWindows())
        {
            // Unix keeps an unlinked file's data until its last handle closes; Windows deletes on close by itself.
            File.Delete(path);
        }

        string root = System.IO.Path.GetFullPath(directory);
        return new RowSpill(file, path, inputSize, targetWidth, freeBytes ?? (() => new DriveInfo(root).AvailableFreeSpace), reserveBytes);
    }

    /// <summary>Appends a row and its identity; throws an <see cref="IOException"/> when the disk fails or would fall under the reserve.</summary>
    /// <param name="row">The row (dense with <see cref="InputSize"/> values, or sparse).</param>
    /// <param name="id">Its identity.</param>
    public void Append(RowView row, ulong id)
    {
        if (_complete)
        {
            throw new InvalidOperationException("The spill is complete.");
        }

        int count = row.IsDense ? -1 : row.Values.Length;
        int size = RowBytes(count);
        if (_used + size > _buffer.Length)
        {
            Flush();
            if (size > _buffer.Length)
            {
                _buffer = new byte[size];
            }
        }

        Span<byte> record = _buffer.AsSpan(_used, size);
        MemoryMarshal.Write(record, in count);
        int at = 4;
        at += Put(record[at..], row.Values);
        if (!row.IsDense)
        {
            at += Put(record[at..], row.Indices);
        }

        at += Put(record[at..], row.Target);
        float weight = row.Weight;
        MemoryMarshal.Write(record[at..], in weight);
        MemoryMarshal.Write(record[(at + 4)..], in id);
        _used += size;
        Rows++;
    }

    /// <summary>Writes what is left in the buffer: the rows may then be read.</summary>
    public void Complete()
    {
        Flush();
        _buffer = [];
        _complete = true;
    }

    /// <summary>Starts a pass over the rows (after <see cref="Complete"/>).</summary>
    /// <param name="shuffleSeed">Null for the order written; otherwise the seed of a random order of the blocks.</param>
    public IRowCursor Open(ulong? shuffleSeed)
    {
        if (!_complete)
        {
            throw new InvalidOperationException("The spill is still being written.");
        }

        var order = new int[_blockStarts.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (shuffleSeed is { } seed)
        {
            SeededRandom random = SeededRandom.FromSeed(seed);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = random.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }

        return new Cursor(this, order);
    }

    /// <summary>Closes (and so removes) the file.</summary>
    public void Dispose() => _file.Dispose();

    /// <summary>What rows take in the file on average: dense rows all their features, sparse rows <paramref name="entries"/> index/value pairs.</summary>
    /// <param name="inputSize">Features per row.</param>
    /// <param name="targetWidth">Target values per row.</param>
    /// <param name="entries">The mean stored entries of sparse rows, or null for dense rows.</param>
    public static double BytesPerRow(int inputSize, int targetWidth, double? entries) =>
        4.0 * (1 + (entries is { } e ? 2 * e : inputSize) + targetWidth + 1 + 2);

    /// <summary>The bytes of one row of <paramref name="count"/> stored entries (−1: dense): the count, the features, the targets, the weight, the identity.</summary>
    private int RowBytes(int count) => (int)BytesPerRow(InputSize, TargetWidth, count < 0 ? null : count);

    private static int Put<T>(Span<byte> destination, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(values);
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    private void Flush()
    {
        if (_used == 0)
        {
            return;
        }

        if (_length + _used - _checkedAt >= FreeSpaceCheckBytes || _checkedAt == 0)
        {
            long free = _freeBytes();
            if (free - _used < _reserveBytes)
            {
                throw new IOException(
                    $"the disk of '{System.IO.Path.GetDirectoryName(Path)}' has {free / (1 << 20):N0} MiB free after {(_length + _used) / (1 << 20):N0} MiB of rows, " +
                    $"and at least {_reserveBytes / (1 << 20):N0} MiB are left free");
            }

            _checkedAt = _length + _used;
        }

        RandomAccess.Write(_file, _buffer.AsSpan(0, _used), _length);
        _blockStarts.Add(_length);
        _largestBlock = Math.Max(_largestBlock, _used);
        _length += _used;
        _used = 0;
    }

    private long BlockEnd(int block) => block + 1 < _blockStarts.Count ? _blockStarts[block + 1] : _length;

    /// <summary>One pass: blocks read whole in the given order, rows parsed in place.</summary>
    private sealed class Cursor(RowSpill spill, int[] order) : IRowCursor
    {
        // Pooled: an epoch's pass costs no new buffer.
        private byte[] _block = ArrayPool<byte>.Shared.Rent(Math.Max(1, spill._largestBlock));
        private int _next;
        private int _at;
        private int _end;
        private int _count;
        private int _valuesAt;
        private int _targetAt;

        public bool IsDense => _count < 0;

        public ReadOnlySpan<float> Values => MemoryMarshal.Cast<byte, float>(_block.AsSpan(_valuesAt, 4 * (_count < 0 ? spill.InputSize : _count)));

        public ReadOnlySpan<int> Indices => _count < 0 ? default : MemoryMarshal.Cast<byte, int>(_block.AsSpan(_valuesAt + (4 * _count), 4 * _count));

        public ReadOnlySpan<float> Target => MemoryMarshal.Cast<byte, float>(_block.AsSpan(_targetAt, 4 * spill.TargetWidth));

        public float Weight => MemoryMarshal.Read<float>(_block.AsSpan(_targetAt + (4 * spill.TargetWidth)));

        public ulong Id => MemoryMarshal.Read<ulong>(_block.AsSpan(_targetAt + (4 * spill.TargetWidth) + 4));

        public bool MoveNext()
        {
            if (_at == _end)
            {
                if (_next == order.Length)
                {
                    return false;
                }

                int block = order[_next++];
                long start = spill._blockStarts[block];
                _end = (int)(spill.BlockEnd(block) - start);
                Span<byte> into = _block.AsSpan(0, _end);
                while (!into.IsEmpty)
                {
                    int read = RandomAccess.Read(spill._file, into, start);
                    if (read <= 0)
                    {
                        throw new IOException($"The temporary file of rows '{spill.Path}' ended early: it was changed or truncated while training read it.");
                    }

                    into = into[read..];
                    start += read;
                }

                _at = 0;
            }

            _count = MemoryMarshal.Read<int>(_block.AsSpan(_at));
            _valuesAt = _at + 4;
            _targetAt = _valuesAt + (4 * (_count < 0 ? spill.InputSize : 2 * _count));
            _at += spill.RowBytes(_count);
            return true;
        }

        public void Dispose()
        {
            byte[] block = _block;
            _block = [];
            if (block.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(block);
            }
        }
    }
}
