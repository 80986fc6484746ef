using System.Diagnostics;
using Backprop.MLNet.Tests.MLNet.Persistence;
using Microsoft.ML;
using Xunit.Abstractions;

namespace Backprop.MLNet.Tests.Reliability;

/// <summary>
/// Repeating save → load → predict and PredictionEngine creation many times leaks neither managed memory nor
/// OS handles. Runs alone, because it reads process-wide counters.
/// </summary>
[Collection(ReliabilityMeasurementCollection.Name)]
public sealed class SoakReliabilityTests(ITestOutputHelper output)
{
    /// <summary>
    /// Growth allowed in the live managed heap (GC.GetTotalMemory(true)) between the warm-up and the end: 4 MiB.
    /// A leak of one model per cycle (its zip, network, schema and scorer, ≈ 20 KB here) would grow the heap by
    /// ≈ 20 MB over 1,000 cycles; a leak of one PredictionEngine (≈ 5 KB) per creation by ≈ 50 MB over 10,000.
    /// </summary>
    private const long HeapGrowthBound = 4L << 20;

    /// <summary>Handles (file descriptors on Linux) allowed to appear: test-host noise, not one per cycle.</summary>
    private const int HandleGrowthBound = 20;

    [Fact]
    public void ThousandSaveLoadPredictCyclesLeakNothing()
    {
        var ml = new MLContext(seed: 41);
        (IDataView data, ITransformer model) = SaveLoadTests.Train(ml, "binary");
        MLData.BinaryRow row = ml.Data.CreateEnumerable<MLData.BinaryRow>(data, reuseRowObject: false).First();
        float expected = ml.Model.CreatePredictionEngine<MLData.BinaryRow, Scored>(model).Predict(row).Score;

        void Cycle()
        {
            using var stream = new MemoryStream();
            ml.Model.Save(model, data.Schema, stream);
            stream.Position = 0;
            ITransformer loaded = ml.Model.Load(stream, out _);
            using var engine = ml.Model.CreatePredictionEngine<MLData.BinaryRow, Scored>(loaded);
            Assert.Equal(expected, engine.Predict(row).Score);
        }

        Measure("save → load → predict", 1000, Cycle);
    }

    [Fact]
    public void TenThousandPredictionEnginesLeakNothing()
    {
        var ml = new MLContext(seed: 42);
        (IDataView data, ITransformer model) = SaveLoadTests.Train(ml, "binary");
        MLData.BinaryRow row = ml.Data.CreateEnumerable<MLData.BinaryRow>(data, reuseRowObject: false).First();
        float expected = ml.Model.CreatePredictionEngine<MLData.BinaryRow, Scored>(model).Predict(row).Score;

        void Cycle()
        {
            using var engine = ml.Model.CreatePredictionEngine<MLData.BinaryRow, Scored>(model);
            Assert.Equal(expected, engine.Predict(row).Score);
        }

        Measure("PredictionEngine creations", 10_000, Cycle);
    }

    private void Measure(string what, int cycles, Action cycle)
    {
        for (int i = 0; i < cycles / 20; i++) // warm-up: JIT, ML.NET's caches
        {
            cycle();
        }

        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        int handlesBefore = HandleCount();
        Assert.True(handlesBefore > 0, "the process reports no handles: the handle check would be vacuous");
        var clock = Stopwatch.StartNew();

        for (int i = 0; i < cycles; i++)
        {
            cycle();
        }

        clock.Stop();
        long heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        int handleGrowth = HandleCount() - handlesBefore;
        output.WriteLine($"{cycles} {what} in {clock.Elapsed.TotalSeconds:F1} s; heap {heapGrowth:+#,0;-#,0;0} bytes, handles {handleGrowth:+0;-0;0} (of {handlesBefore})");
        Assert.True(heapGrowth < HeapGrowthBound, $"{cycles} {what}: the heap grew by {heapGrowth:N0} bytes");
        Assert.True(handleGrowth < HandleGrowthBound, $"{cycles} {what}: {handleGrowth} more handles");
    }

    private static int HandleCount()
    {
        using Process self = Process.GetCurrentProcess();
        return self.HandleCount;
    }

    private sealed class Scored
    {
        public float Score { get; set; }
    }
}
