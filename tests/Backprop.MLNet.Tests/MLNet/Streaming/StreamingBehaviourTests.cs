using Microsoft.ML;

namespace Backprop.MLNet.Tests.MLNet.Streaming;

/// <summary>
/// What streaming promises beyond equivalence: memory that does not grow with the rows, a failing source surfacing
/// unchanged, early stopping, cancellation and the automatic choice working on streamed rows.
/// </summary>
public sealed class StreamingBehaviourTests
{
    [Fact]
    public void AllocationsDoNotGrowWithTheRowCount()
    {
        // Two sizes 10× apart through a source that holds nothing: streamed, the bytes allocated are those of the network,
        // the optimizer, one batch and the shuffle buffer; held in memory they grow with the rows (the control, which shows
        // the measurement sees the rows when they are held). On this thread only: NumberOfThreads = 1.
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
            long before = GC.GetAllocatedBytesForCurrentThread();
            trainer.Fit(data);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        long small = Allocated(5_000, DataCaching.Streaming), large = Allocated(50_000, DataCaching.Streaming);
        Assert.True(large < small + (256 << 10), $"streaming allocated {small:N0} bytes for 5,000 rows and {large:N0} for 50,000");

        long heldSmall = Allocated(5_000, DataCaching.Memory), heldLarge = Allocated(50_000, DataCaching.Memory);
        long features = 45_000L * 40 * sizeof(float);
        Assert.True(heldLarge - heldSmall > features, $"in memory allocated {heldSmall:N0} and {heldLarge:N0} bytes, less than the {features:N0} of the added features");
    }

    [Theory]
    [InlineData(DataCaching.Streaming, 1)] // the reading pass
    [InlineData(DataCaching.Streaming, 3)] // the second epoch
    [InlineData(DataCaching.Memory, 1)]
    public void ASourceThatFailsMidwaySurfacesUnchanged(DataCaching caching, int pass)
    {
        var ml = new MLContext(seed: 1);
        var error = new IOException("the disk went away");
        var data = new GeneratedDataView(2000) { Failure = (error, pass, 1234) };
        var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [8], MaximumNumberOfEpochs = 5, Seed = 1, Caching = caching });

        IOException thrown = Assert.Throws<IOException>(() => trainer.Fit(data));
        Assert.Same(error, thrown);
        Assert.Equal(pass, data.Passes);
    }

    [Fact]
    public void EarlyStoppingHoldsOutStreamedRowsAndStops()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [32],
            MaximumNumberOfEpochs = 300,
            EarlyStopping = true,
            NumberOfEpochsWithoutImprovement = 3,
            LearningRate = 0.01,
            Seed = 2,
            Caching = DataCaching.Streaming,
        });
        var data = new GeneratedDataView(4000);

        BackpropTransformer trained = trainer.Fit(data);
        BackpropModelParameters model = trained.Model;

        Assert.All(model.TrainingHistory, r => Assert.NotNull(r.ValidationLoss));
        Assert.Equal(TrainingStopReason.EarlyStopped, model.TrainingHistory.StopReason);
        Assert.InRange(model.TrainingHistory.Count, 4, 299);
        var scored = ml.BinaryClassification.Evaluate(trained.Transform(new GeneratedDataView(1000)));
        // Measured: 0.977 streamed, 0.959 in memory (another hold-out), 0.689 for SDCA's logistic regression on the same rows.
        Assert.True(scored.Accuracy > 0.9, $"accuracy {scored.Accuracy}");
    }

    [Fact]
    public async Task CancellingStopsAStreamedEpoch()
    {
        var ml = new MLContext(seed: 1);
        var started = new ManualResetEventSlim();
        var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [16],
            MaximumNumberOfEpochs = 1_000_000,
            Tolerance = 0,
            Seed = 1,
            Caching = DataCaching.Streaming,
            Progress = new Callback(_ => started.Set()),
        });
        var data = new GeneratedDataView(20_000);
        Task fit = Task.Factory.StartNew(() => trainer.Fit(data), TaskCreationOptions.LongRunning);

        Assert.True(started.Wait(TimeSpan.FromSeconds(60)), "no epoch finished");
        ml.CancelExecution();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fit.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    private sealed class Callback(Action<EpochReport> action) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => action(value);
    }
}
