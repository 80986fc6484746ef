using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.Reliability;

/// <summary>
/// Cancellation from another thread stops training promptly; a failure of the caller's data source reaches the
/// caller unchanged, and leaves the trainer usable. (Cancelling from the Progress callback and from another thread
/// at all: TrainerBehaviourTests.CancelExecution*.)
/// </summary>
public sealed class CancellationAndFaultReliabilityTests
{
    [Fact]
    public async Task CancelFromAnotherThreadStopsWithinTheEpochUnderWay()
    {
        // 100 minibatches per epoch; the trainer checks before every minibatch, so at most the epoch that was finishing as
        // cancel was called may still be reported. The training thread waits in its epoch-3 report until this thread has
        // cancelled: an epoch takes about a millisecond, so without that, this thread being descheduled for a few
        // milliseconds between reading the epoch and cancelling let several more epochs finish (seen on 2 busy cores).
        var ml = new MLContext(seed: 1);
        int lastEpoch = 0;
        var third = new ManualResetEventSlim();
        var cancelled = new ManualResetEventSlim();
        var trainer = ml.Regression.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [16],
            BatchSize = 10,
            MaximumNumberOfEpochs = 1_000_000,
            Tolerance = 0,
            Seed = 1,
            Progress = new ProgressCallback(r =>
            {
                Volatile.Write(ref lastEpoch, r.Epoch);
                if (r.Epoch == 3)
                {
                    third.Set();
                    cancelled.Wait(TimeSpan.FromSeconds(60));
                }
            }),
        });
        IDataView data = MLData.Wave(ml, 1000, seed: 1);
        Task fit = Task.Factory.StartNew(() => trainer.Fit(data), TaskCreationOptions.LongRunning);

        Assert.True(third.Wait(TimeSpan.FromSeconds(60)), "training did not reach epoch 3");
        int atCancel = Volatile.Read(ref lastEpoch);
        ml.CancelExecution();
        cancelled.Set();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fit.WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.InRange(Volatile.Read(ref lastEpoch) - atCancel, 0, 1);
    }

    [Fact]
    public void CursorFailureReachesTheCallerUnchangedAndTheTrainerStillWorks()
    {
        var ml = new MLContext(seed: 1);
        IDataView good = MLData.Blobs(ml, 100, seed: 1);
        var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [4], MaximumNumberOfEpochs = 5, Seed = 7 });
        var broken = new FailingDataView(good, failAfterRows: 37);

        // Directly, and through one of ML.NET's transforms (its cursor wraps ours).
        var direct = Assert.Throws<DataSourceFailedException>(() => trainer.Fit(broken));
        Assert.Equal("the data source failed after 37 rows", direct.Message);
        var chain = ml.Transforms.CopyColumns("Copy", "Features").Append(trainer);
        var viaChain = Assert.Throws<DataSourceFailedException>(() => chain.Fit(broken));
        Assert.Equal("the data source failed after 37 rows", viaChain.Message);

        // The same trainer then trains on good data exactly as a trainer that never saw the failure.
        float[] after = Weights(trainer.Fit(good).Model);
        float[] fresh = Weights(ml.BinaryClassification.Trainers.Backprop(trainer.TrainerOptions).Fit(good).Model);
        Assert.Equal(fresh.Select(BitConverter.SingleToUInt32Bits), after.Select(BitConverter.SingleToUInt32Bits));
    }

    private static float[] Weights(BackpropModelParameters model) =>
        Enumerable.Range(0, model.LayerCount).SelectMany(l => model.GetWeights(l).Concat(model.GetBiases(l))).ToArray();

    /// <summary>What a user's data source might throw: its own exception type.</summary>
    private sealed class DataSourceFailedException(string message) : Exception(message);

    /// <summary>An IDataView whose cursors throw <see cref="DataSourceFailedException"/> when asked for the row after <paramref name="failAfterRows"/>.</summary>
    private sealed class FailingDataView(IDataView inner, int failAfterRows) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => inner.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            new Cursor(inner.GetRowCursor(columnsNeeded), failAfterRows);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(DataViewRowCursor inner, int failAfterRows) : DataViewRowCursor
        {
            private int _rows;

            public override DataViewSchema Schema => inner.Schema;

            public override long Position => inner.Position;

            public override long Batch => inner.Batch;

            public override bool MoveNext()
            {
                if (_rows == failAfterRows)
                {
                    throw new DataSourceFailedException($"the data source failed after {failAfterRows} rows");
                }

                _rows++;
                return inner.MoveNext();
            }

            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    inner.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
