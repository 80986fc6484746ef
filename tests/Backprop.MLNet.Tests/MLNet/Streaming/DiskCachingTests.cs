using Backprop.MLNet.MLNet;
using Backprop.MLNet.Training.Data;
using Microsoft.ML;

namespace Backprop.MLNet.Tests.MLNet.Streaming;

/// <summary>
/// The temporary file of streamed rows: Auto writes the rows it lets go (all of them, in the data view's order, the first
/// ones read again), Disk writes them from the first row; a file that cannot be written stops Disk with a message that
/// names the directory and the fixes, and leaves Auto streaming from the data view; the file goes where MLContext.TempFilePath
/// says and is gone when training ends. (That training from the file gives the weights of memory training:
/// StreamingEquivalenceTests.)
/// </summary>
public sealed class DiskCachingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("backprop-disk-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(FeatureStorage.Dense, 1)] // refused before the first row: nothing to read again
    [InlineData(FeatureStorage.Auto, 2)] // let go after the 1,024 rows that decide the storage
    [InlineData(FeatureStorage.Sparse, 2)]
    public void AutoWritesEveryRowItLetsGoInTheViewsOrder(FeatureStorage storage, int passes)
    {
        var ml = new MLContext(seed: 1);
        var view = new GeneratedDataView(5000);
        DataViewRowSource source = Source(ml, view);

        // 5,000 rows × 12 features are 240 kB dense; Auto may use half of the 200 kB given.
        DataReader.Result read = DataReader.Read(source, DataCaching.Auto, storage, 200_000, "training", measure: true, new SpillSettings(_directory, ReserveBytes: 0));
        using RowSpill spill = read.Spill!;

        Assert.True(read.Streamed);
        Assert.Null(read.SpillFailure);
        Assert.Equal(passes, view.Passes);
        Assert.Equal(read.ValidRows, spill.Rows);
        AssertSameRows(Source(ml, new GeneratedDataView(5000)).Open(null), spill.Open(null));
    }

    [Fact]
    public void DiskWritesFromTheFirstRowAndHoldsNothing()
    {
        var ml = new MLContext(seed: 1);
        var view = new GeneratedDataView(3000, knowsRowCount: false);

        DataReader.Result read = DataReader.Read(Source(ml, view), DataCaching.Disk, FeatureStorage.Auto, 1L << 30, "training", measure: true,
            new SpillSettings(_directory, ReserveBytes: 0));
        using RowSpill spill = read.Spill!;

        Assert.True(read.Streamed);
        Assert.Null(read.Data);
        Assert.Equal(1, view.Passes); // neither a counting pass nor a second reading
        AssertSameRows(Source(ml, new GeneratedDataView(3000)).Open(null), spill.Open(null));
    }

    [Fact]
    public void AFileThatCannotBeWrittenStopsDiskAndLeavesAutoStreaming()
    {
        var ml = new MLContext(seed: 1);
        string missing = Path.Combine(_directory, "not-there");
        var nowhere = new SpillSettings(missing, ReserveBytes: 0);
        var full = new SpillSettings(_directory, ReserveBytes: 1L << 30, FreeBytes: () => 100L << 20);

        IOException e = Assert.Throws<IOException>(() => DataReader.Read(Source(ml, new GeneratedDataView(3000)), DataCaching.Disk, FeatureStorage.Auto, 1L << 30, "training", true, nowhere));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("mlContext.TempFilePath", e.Message, StringComparison.Ordinal);
        Assert.Contains("Caching = DataCaching.Streaming", e.Message, StringComparison.Ordinal);
        IOException tooFull = Assert.Throws<IOException>(() => DataReader.Read(Source(ml, new GeneratedDataView(3000)), DataCaching.Disk, FeatureStorage.Auto, 1L << 30, "training", true, full));
        Assert.Contains("100 MiB free", tooFull.Message, StringComparison.Ordinal);

        foreach (SpillSettings settings in new[] { nowhere, full })
        {
            DataReader.Result read = DataReader.Read(Source(ml, new GeneratedDataView(5000)), DataCaching.Auto, FeatureStorage.Dense, 200_000, "training", true, settings);
            Assert.True(read.Streamed);
            Assert.Null(read.Spill);
            Assert.Contains("could not be written to a temporary file", read.SpillFailure, StringComparison.Ordinal);
        }

        Assert.Empty(Directory.EnumerateFiles(_directory));
    }

    [Fact]
    public void AutoGivesUpTheFileAtOnceWhenTheRowsWouldNotFitTheDisk()
    {
        // 5,000 rows of 12 features take about 340 kB in the file; 300 kB free. Auto lets the rows go after the 1,024 that
        // decide the storage: it must not read them again to write a file that cannot be finished.
        var ml = new MLContext(seed: 1);
        var view = new GeneratedDataView(5000);
        var settings = new SpillSettings(_directory, ReserveBytes: 0, FreeBytes: () => 300_000);

        DataReader.Result read = DataReader.Read(Source(ml, view), DataCaching.Auto, FeatureStorage.Auto, 200_000, "training", true, settings);

        Assert.True(read.Streamed);
        Assert.Null(read.Spill);
        Assert.Equal(1, view.Passes);
        Assert.Contains("the rows need about 0.3 MiB, the disk has 0.3 MiB free", read.SpillFailure, StringComparison.Ordinal);
    }

    [Fact]
    public void AutoWritesNoFileToAFileSystemInMemoryButDiskDoesWhenAskedTo()
    {
        // tmpfs keeps files in memory: Auto lets the rows go because they do not fit memory, so it must not put them there.
        var ml = new MLContext(seed: 1);
        var inMemory = new SpillSettings(_directory, ReserveBytes: 0, InMemory: true);
        var view = new GeneratedDataView(5000);

        DataReader.Result auto = DataReader.Read(Source(ml, view), DataCaching.Auto, FeatureStorage.Auto, 200_000, "training", true, inMemory);
        DataReader.Result disk = DataReader.Read(Source(ml, new GeneratedDataView(5000)), DataCaching.Disk, FeatureStorage.Auto, 1L << 30, "training", true, inMemory);
        using RowSpill spill = disk.Spill!;

        Assert.True(auto.Streamed);
        Assert.Null(auto.Spill);
        Assert.Equal(1, view.Passes);
        Assert.Contains("keeps its files in memory", auto.SpillFailure, StringComparison.Ordinal);
        Assert.Contains("mlContext.TempFilePath", auto.SpillFailure, StringComparison.Ordinal);
        Assert.Equal(5000, spill.Rows);
    }

    [Fact]
    public void TheFileGoesToTheContextsTempFilePathAndIsGoneAfterFit()
    {
        var ml = new MLContext(seed: 1) { TempFilePath = _directory };
        var log = new List<string>();
        ml.Log += (_, e) => log.Add(e.Message);
        int openDuringTraining = -1;
        var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [8],
            MaximumNumberOfEpochs = 2,
            Seed = 1,
            Caching = DataCaching.Disk,
            Progress = new ProgressCallback(_ => openDuringTraining = OpenSpills()),
        });

        trainer.Fit(new GeneratedDataView(2000));

        Assert.Contains(log, m => m.Contains($"to a temporary file in '{_directory}'", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
        if (OperatingSystem.IsLinux())
        {
            // The open handle is the file's only trace: named nowhere while training, closed afterwards.
            Assert.Equal(1, openDuringTraining);
            Assert.Equal(0, OpenSpills());
        }
    }

    [Fact]
    public void DiskWithAMissingDirectoryFailsFitWithTheDirectory()
    {
        string missing = Path.Combine(_directory, "gone");
        var ml = new MLContext(seed: 1) { TempFilePath = missing };
        var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [8], MaximumNumberOfEpochs = 1, Caching = DataCaching.Disk });

        IOException e = Assert.Throws<IOException>(() => trainer.Fit(new GeneratedDataView(500)));

        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    /// <summary>Open handles of this process on files of this test's directory (Linux: /proc/self/fd).</summary>
    private int OpenSpills() =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Count(fd => fd.LinkTarget is { } target && target.StartsWith(_directory, StringComparison.Ordinal));

    private static DataViewRowSource Source(MLContext ml, GeneratedDataView view) =>
        DataViewRowSource.Create(ml, view, "Label", "Features", "Weight", BackpropTask.BinaryClassification, 1);

    private static void AssertSameRows(IRowCursor expected, IRowCursor actual)
    {
        using (expected)
        using (actual)
        {
            long rows = 0;
            while (expected.MoveNext())
            {
                Assert.True(actual.MoveNext(), $"the file ends after {rows} rows");
                float[] a = new float[12], b = new float[12];
                RowView.Of(expected).CopyDenseTo(a);
                RowView.Of(actual).CopyDenseTo(b);
                Assert.Equal(a.Select(BitConverter.SingleToUInt32Bits), b.Select(BitConverter.SingleToUInt32Bits));
                Assert.Equal(expected.Target.ToArray(), actual.Target.ToArray());
                Assert.Equal(expected.Weight, actual.Weight);
                Assert.Equal(expected.Id, actual.Id);
                rows++;
            }

            Assert.False(actual.MoveNext(), "the file holds more rows than the view");
        }
    }
}
