using Backprop.MLNet.Tests.Reliability;
using Microsoft.ML;

namespace Backprop.MLNet.Tests.MLNet.Streaming;

/// <summary>Streaming's memory does not depend on the row count. Runs alone: it reads the process-wide allocation counter.</summary>
[Collection(ReliabilityMeasurementCollection.Name)]
public sealed class StreamingMemoryTests
{
    [Fact]
    public void AllocationsDoNotGrowWithTheRowCount()
    {
        // Two sizes 10× apart through a source that holds nothing: streamed, the bytes allocated are those of the network,
        // the optimizer, a few batches and the shuffle buffer; held in memory they grow with the rows (the control, which shows
        // the measurement sees the rows when they are held). Process-wide (the rows are read on a reader thread), so alone.
        long Allocated(int rows, DataCaching caching)
        {
            var ml = new MLContext(seed: 1);
            BackpropTrainer trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
            {
                HiddenLayerSizes = [16],
                MaximumNumberOfEpochs = 2,
                Seed = 1,
                NumberOfThreads = 1,
                Caching = caching,
                ShuffleBufferSize = 1000,
                ExampleWeightColumnName = "Weight",
            });
            var data = new GeneratedDataView(rows, width: 40);
            trainer.Fit(new GeneratedDataView(200, width: 40)); // warm up the JIT and ML.NET's caches
            long before = GC.GetTotalAllocatedBytes(precise: true);
            trainer.Fit(data);
            return GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        long small = Allocated(5_000, DataCaching.Streaming), large = Allocated(50_000, DataCaching.Streaming);
        Assert.True(large < small + (256 << 10), $"streaming allocated {small:N0} bytes for 5,000 rows and {large:N0} for 50,000");
        long diskSmall = Allocated(5_000, DataCaching.Disk), diskLarge = Allocated(50_000, DataCaching.Disk);
        Assert.True(diskLarge < diskSmall + (256 << 10), $"streaming from a temporary file allocated {diskSmall:N0} bytes for 5,000 rows and {diskLarge:N0} for 50,000");

        long heldSmall = Allocated(5_000, DataCaching.Memory), heldLarge = Allocated(50_000, DataCaching.Memory);
        long features = 45_000L * 40 * sizeof(float);
        Assert.True(heldLarge - heldSmall > features, $"in memory allocated {heldSmall:N0} and {heldLarge:N0} bytes, less than the {features:N0} of the added features");
    }
}
