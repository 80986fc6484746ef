using System.Globalization;
using Backprop.MLNet.MLNet;
using Backprop.MLNet.MLNet.Scoring;
using Microsoft.ML;

namespace Backprop.MLNet.Tests.Reliability;

/// <summary>
/// Runs alone (not beside other test classes), because it reads process-wide counters: allocated bytes,
/// heap size and OS handles.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityMeasurementCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "Reliability measurements (not parallel)";
}

/// <summary>A network that cannot fit is refused before allocation; training allocates (almost) nothing per epoch.</summary>
[Collection(ReliabilityMeasurementCollection.Name)]
public sealed class ResourceBoundsReliabilityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void NetworkBeyondOneArrayIsRefusedBeforeAllocationNamingItsSize()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = MLData.Blobs(ml, 10, seed: 1);
        var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [1 << 20, 1 << 20] });
        long parameters = 3L * (1 << 20) + ((1L << 20) + 1) * (1 << 20) + ((1L << 20) + 1); // 2 inputs, 1 output

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("Options.HiddenLayerSizes", e.ParamName);
        Assert.Contains("HiddenLayerSizes", e.Message);
        Assert.Contains(parameters.ToString("N0", CultureInfo.InvariantCulture) + " parameters", e.Message);
        Assert.Contains("GiB", e.Message);
        Assert.Contains("[2, 1048576, 1048576, 1]", e.Message);
        // The weights alone would be 4 TiB; refusing them costs only ML.NET's pipeline set-up (about 5 KB here).
        Assert.True(allocated < 1 << 20, $"Fit allocated {allocated:N0} bytes before refusing the network");
        output.WriteLine($"{allocated:N0} bytes allocated; {e.Message}");
    }

    /// <summary>
    /// The row-to-row mapper's scorer scores a row with no allocation after the first, also when a wide first layer is
    /// split over the worker pool (784 × 256, as in Fashion-MNIST), for dense and sparse feature vectors.
    /// </summary>
    [Fact]
    public void TheRowMapperScoresARowWithoutAllocating()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(2);
        WideRow[] rows = Enumerable.Range(0, 64).Select(i => new WideRow
        {
            Features = Enumerable.Range(0, 784).Select(_ => random.NextDouble() < 0.5 ? 0f : (float)random.NextDouble()).ToArray(),
            Label = i % 3 == 0,
        }).ToArray();
        BackpropTransformer model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [256], MaximumNumberOfEpochs = 2 })
            .Fit(ml.Data.LoadFromEnumerable(rows));
        // The scorer behind the model's IValueMapper delegates: one per delegate, used from one thread.
        var scorer = new RowScorer(model.Model);
        var dense = new Microsoft.ML.Data.VBuffer<float>(784, rows[0].Features);
        var sparse = new Microsoft.ML.Data.VBuffer<float>(784, 3, [1f, 2f, 3f], [5, 300, 783]);
        float score = scorer.Logit(dense) + scorer.Predict(sparse)[0];

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            score += scorer.Logit(dense) + scorer.Predict(sparse)[0];
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(float.IsFinite(score));
        // Any allocation per row would be at least 24 bytes × 2,000 rows. What may appear once is the worker pool's
        // ManualResetEventSlim creating its lock object (24 bytes) the first time the caller has to block on it.
        Assert.True(allocated <= 64, $"2,000 rows allocated {allocated} bytes");
    }

    private sealed class WideRow
    {
        [Microsoft.ML.Data.VectorType(784)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    [Fact]
    public void NetworkBeyondTheMemoryAvailableIsRefusedBeforeAllocation()
    {
        // 2,116,230,001 parameters: fits one array, but L-BFGS keeps ~49 parameter-sized buffers (≈ 386 GiB).
        var ml = new MLContext(seed: 1);
        var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [46000, 46000], Solver = Solver.Lbfgs });
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Assert.True(available < 300L << 30, $"this test needs a machine with less than 300 GiB; it has {available:N0} bytes");

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(MLData.Blobs(ml, 10, seed: 1)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("HiddenLayerSizes", e.Message);
        Assert.Contains("2,116,230,001 parameters", e.Message);
        Assert.Contains("with Lbfgs needs about", e.Message);
        Assert.Contains("GiB of memory available", e.Message);
        Assert.True(allocated < 1 << 20, $"Fit allocated {allocated:N0} bytes before refusing the network");
    }

    [Fact]
    public void MemoryLimitCountsTheSolversBuffers()
    {
        // [8192, 8192] on 2 inputs: 67,149,825 parameters. Adam (weights + 4 buffers) ≈ 1.25 GiB, SGD ≈ 1.0 GiB.
        var adam = new BackpropTrainer.Options { HiddenLayerSizes = [8192, 8192], Solver = Solver.Adam, BatchSize = 1 };
        var sgd = new BackpropTrainer.Options { HiddenLayerSizes = [8192, 8192], Solver = Solver.Sgd, BatchSize = 1 };
        long limit = 1200L << 20;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ResourceLimits.CheckNetworkFits(adam, 2, 1, 100, limit));
        Assert.Contains("67,149,825 parameters", e.Message);
        Assert.Contains("1.172 GiB of memory available", e.Message);
        ResourceLimits.CheckNetworkFits(sgd, 2, 1, 100, limit); // fits: no exception
    }

    /// <summary>
    /// The estimate counts the transposed copy a layer after the first keeps for its forward product (100 → 100 at 40 rows:
    /// 10,000 floats), and no copy for a layer or a batch size the rule leaves alone (100 → 10; 8 rows), exactly.
    /// </summary>
    [Fact]
    public void MemoryEstimateCountsTheTransposedForwardCopies()
    {
        // The formula of TrainingMemory's remarks written out: parameters and their buffers, three row-sized buffers per layer
        // width, and the copy.
        double Bytes(int[] widths) => Backprop.MLNet.Training.TrainingMemory.Bytes(widths, Backprop.MLNet.Training.SolverKind.Sgd, 40);
        Assert.True(Backprop.MLNet.Engine.BackpropWorkspace.TransposesForward(100, 100, 40));
        Assert.False(Backprop.MLNet.Engine.BackpropWorkspace.TransposesForward(100, 10, 40));
        double parameters(int[] widths) => (double)Backprop.MLNet.Training.TrainingMemory.Parameters(widths);
        int[] withCopy = [20, 100, 100, 10], without = [20, 100, 10];
        const int Buffers = 1 + 1 + 1; // gradient, SGD's velocity, the best epoch's weights
        Assert.Equal(4 * ((parameters(withCopy) * (1 + Buffers)) + (3.0 * 40 * 230) + (100 * 100)), Bytes(withCopy));
        Assert.Equal(4 * ((parameters(without) * (1 + Buffers)) + (3.0 * 40 * 130)), Bytes(without));
        Assert.Equal(4 * ((parameters(withCopy) * (1 + Buffers)) + (3.0 * 8 * 230)), Backprop.MLNet.Training.TrainingMemory.Bytes(withCopy, Backprop.MLNet.Training.SolverKind.Sgd, 8));
    }

    /// <summary>
    /// After warm-up, an epoch allocates only its <see cref="EpochReport"/> (≈ 64 B), its log message (one formatted
    /// string of ≈ 130 characters, ≈ 300 B, plus ML.NET's channel message) and the history list's growth. Training
    /// N and 2N epochs (50 minibatches each) on the same data through the ML.NET API, the difference per extra epoch
    /// must stay below 2 KiB: a single 48-byte object per minibatch would already cost 2.4 KB per epoch.
    /// </summary>
    [Fact]
    public void AnEpochAllocatesAlmostNothingAfterWarmUp()
    {
        const int epochs = 20;
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.Cache(MLData.Blobs(ml, 500, seed: 4)); // read once, so each Fit reads alike
        long Allocated(int maximumEpochs)
        {
            var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
            {
                HiddenLayerSizes = [16],
                BatchSize = 10,
                MaximumNumberOfEpochs = maximumEpochs,
                Tolerance = 0,
                NumberOfEpochsWithoutImprovement = 10_000,
                Seed = 3,
            });
            long before = GC.GetTotalAllocatedBytes(precise: true);
            BackpropTransformer model = trainer.Fit(data);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.Equal(maximumEpochs, model.Model.TrainingHistory.Count);
            return allocated;
        }

        Allocated(epochs); // warm-up: JIT, ML.NET's caches
        // The quietest of three pairs filters one-off noise (tiered JIT, the test host), which a per-batch allocation would show in every pair.
        double perEpoch = Enumerable.Range(0, 3).Min(_ => (Allocated(2 * epochs) - Allocated(epochs)) / (double)epochs);
        output.WriteLine($"{perEpoch:F0} bytes per extra epoch (50 minibatches each)");
        Assert.True(perEpoch < 2048, $"an extra epoch allocated {perEpoch:F0} bytes");
    }
}
