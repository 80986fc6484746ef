using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training.Data;

/// <summary>
/// The temporary file of DataCaching.Disk gives back every row as written, bit for bit (dense and sparse, targets, weight,
/// identity), in the order written or in a seeded order of whole blocks; stops before the disk's reserve; and leaves no file.
/// </summary>
public sealed class RowSpillTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("backprop-spill-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(false, 700)]
    [InlineData(true, 700)]
    [InlineData(false, 20000)] // several blocks
    [InlineData(true, 80000)]
    public void ReadsBackEveryRowAsWrittenInOrder(bool sparse, int rows)
    {
        var source = new ListRowSource(rows, width: 37, sparse);
        using RowSpill spill = Write(source);
        List<Row> written = ReadAll(source.Open(null));

        List<Row> read = ReadAll(spill.Open(null));

        Assert.Equal(rows, spill.Rows);
        Assert.Equal(written.Count, read.Count);
        for (int i = 0; i < written.Count; i++)
        {
            written[i].AssertSame(read[i]);
        }

        if (rows > 5000)
        {
            Assert.True(spill.Bytes > 2 * RowSpill.BlockBytes, $"{spill.Bytes} bytes: the test wants several blocks");
        }
    }

    [Fact]
    public void ASeededPassReadsWholeBlocksInARepeatableOrder()
    {
        var source = new ListRowSource(30000, width: 37, sparse: false);
        using RowSpill spill = Write(source);
        List<Row> inOrder = ReadAll(spill.Open(null));

        List<Row> a = ReadAll(spill.Open(7)), b = ReadAll(spill.Open(7)), c = ReadAll(spill.Open(8));

        Assert.Equal(Ids(a), Ids(b));
        Assert.NotEqual(Ids(a), Ids(c));
        Assert.NotEqual(Ids(inOrder), Ids(a));
        Assert.Equal(Ids(inOrder).Order(), Ids(a).Order()); // every row once
        // Within a block the rows keep their order: most neighbours in the shuffled pass are neighbours in the file.
        ulong[] ids = Ids(a);
        int runs = Enumerable.Range(1, ids.Length - 1).Count(i => ids[i] != ids[i - 1] + 1);
        int blocks = (int)((spill.Bytes + RowSpill.BlockBytes - 1) / RowSpill.BlockBytes);
        Assert.InRange(runs, 1, blocks);
    }

    [Fact]
    public void ConcurrentPassesReadTheSameRows()
    {
        var source = new ListRowSource(20000, width: 20, sparse: true);
        using RowSpill spill = Write(source);
        ulong[] expected = Ids(ReadAll(spill.Open(3)));

        ulong[][] results = new ulong[4][];
        Parallel.For(0, 4, i => results[i] = Ids(ReadAll(spill.Open(3))));

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void StopsBeforeTheDiskReserveAndLeavesNoFile()
    {
        long free = 3L * RowSpill.FreeSpaceCheckBytes;
        using RowSpill spill = RowSpill.Create(_directory, 100, 1, reserveBytes: 2 * RowSpill.FreeSpaceCheckBytes, freeBytes: () => free);
        var row = new float[100];
        float[] target = [1];
        void WriteUntilRefused()
        {
            for (ulong i = 0; i < 10_000_000; i++)
            {
                spill.Append(new RowView(true, row, default, target, 1), i);
                free -= 420; // the disk fills as the rows (420 bytes each) are written
            }
        }

        IOException e = Assert.Throws<IOException>(WriteUntilRefused);

        Assert.Contains(_directory, e.Message, StringComparison.Ordinal);
        Assert.Contains("MiB free", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFileIsGoneWhenDisposedAndAlreadyUnnamedOnUnix()
    {
        RowSpill spill = Write(new ListRowSource(100, width: 5, sparse: false));
        Assert.Equal(OperatingSystem.IsWindows(), File.Exists(spill.Path));

        spill.Dispose();

        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
    }

    [Fact]
    public void ReadingBeforeCompleteOrWritingAfterIsRefused()
    {
        using RowSpill spill = RowSpill.Create(_directory, 3, 1, reserveBytes: 0);
        Assert.Throws<InvalidOperationException>(() => spill.Open(null));
        spill.Complete();
        Assert.Throws<InvalidOperationException>(() => spill.Append(new RowView(true, new float[3], default, new float[1], 1), 0));
    }

    private RowSpill Write(ListRowSource source)
    {
        RowSpill spill = RowSpill.Create(_directory, source.InputSize, source.TargetWidth, reserveBytes: 0);
        using IRowCursor cursor = source.Open(null);
        while (cursor.MoveNext())
        {
            spill.Append(RowView.Of(cursor), cursor.Id);
        }

        spill.Complete();
        return spill;
    }

    private static ulong[] Ids(List<Row> rows) => rows.Select(r => r.Id).ToArray();

    private static List<Row> ReadAll(IRowCursor cursor)
    {
        var rows = new List<Row>();
        using (cursor)
        {
            while (cursor.MoveNext())
            {
                rows.Add(new Row(cursor.IsDense, cursor.Values.ToArray(), cursor.Indices.ToArray(), cursor.Target.ToArray(), cursor.Weight, cursor.Id));
            }
        }

        return rows;
    }

    private sealed record Row(bool IsDense, float[] Values, int[] Indices, float[] Target, float Weight, ulong Id)
    {
        public void AssertSame(Row other)
        {
            Assert.Equal(IsDense, other.IsDense);
            Assert.Equal(Values.Select(BitConverter.SingleToUInt32Bits), other.Values.Select(BitConverter.SingleToUInt32Bits));
            Assert.Equal(Indices, other.Indices);
            Assert.Equal(Target.Select(BitConverter.SingleToUInt32Bits), other.Target.Select(BitConverter.SingleToUInt32Bits));
            Assert.Equal(BitConverter.SingleToUInt32Bits(Weight), BitConverter.SingleToUInt32Bits(other.Weight));
            Assert.Equal(Id, other.Id);
        }
    }
}
