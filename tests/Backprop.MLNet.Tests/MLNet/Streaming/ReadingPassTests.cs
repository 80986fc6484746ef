using Backprop.MLNet.Engine;
using Backprop.MLNet.MLNet;
using Microsoft.ML;

namespace Backprop.MLNet.Tests.MLNet.Streaming;

/// <summary>
/// The reading pass decides between memory and streaming as it reads: with DataCaching.Auto, rows that turn out not to fit
/// the budget are let go and the pass carries on measuring, so the rows are read once and the statistics are those the
/// in-memory path measures.
/// </summary>
public sealed class ReadingPassTests
{
    [Theory]
    [InlineData(FeatureStorage.Dense)]
    [InlineData(FeatureStorage.Auto)]
    [InlineData(FeatureStorage.Sparse)]
    public void AutoLetsRowsThatDoNotFitGoAndMeasuresThemInTheSamePass(FeatureStorage storage)
    {
        var ml = new MLContext(seed: 1);
        DataReader.Result held = Read(ml, new GeneratedDataView(5000), DataCaching.Auto, storage, 1L << 30);
        var view = new GeneratedDataView(5000);
        // 5,000 rows × 12 features are 240 kB dense; Auto may use half of the 200 kB given.
        DataReader.Result streamed = Read(ml, view, DataCaching.Auto, storage, 200_000);

        Assert.False(held.Streamed);
        Assert.NotNull(held.Data);
        Assert.True(streamed.Streamed);
        Assert.Null(streamed.Data);
        Assert.Equal(1, view.Passes);
        Assert.Equal(held.ValidRows, streamed.ValidRows);
        Assert.Equal(held.WeightSum, streamed.WeightSum);
        Assert.Equal(held.RowsPerClass, streamed.RowsPerClass);
        Assert.Equal(held.IsSparse, streamed.IsSparse);
        InputStandardization a = held.Statistics!.Result(), b = streamed.Statistics!.Result();
        Assert.Equal(a.Mean, b.Mean);
        Assert.Equal(a.Scale, b.Scale);
    }

    [Fact]
    public void MemoryRefusesRowsThatDoNotFitAndNamesStreaming()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<InsufficientMemoryException>(() => Read(ml, new GeneratedDataView(5000), DataCaching.Memory, FeatureStorage.Dense, 100_000));
        Assert.Contains("Caching = DataCaching.Streaming", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StreamingOnlyMeasuresAndDecidesTheStorageFromTheFirstRows()
    {
        var ml = new MLContext(seed: 1);
        var view = new GeneratedDataView(3000, knowsRowCount: false);
        DataReader.Result read = Read(ml, view, DataCaching.Streaming, FeatureStorage.Auto, 1L << 30);

        Assert.True(read.Streamed);
        Assert.Null(read.Data);
        Assert.Equal(1, view.Passes); // no counting pass when streaming
        Assert.Equal(3000, read.ValidRows);
        Assert.False(read.IsSparse); // about 80% of the values are non-zero
        Assert.InRange(read.MeanEntries, 9, 10.5);
    }

    private static DataReader.Result Read(MLContext ml, GeneratedDataView view, DataCaching caching, FeatureStorage storage, long bytes)
    {
        DataViewRowSource source = DataViewRowSource.Create(ml, view, "Label", "Features", "Weight", BackpropTask.BinaryClassification, 1);
        return DataReader.Read(source, caching, storage, bytes, "training", measure: true);
    }
}
