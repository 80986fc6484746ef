using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Kernels;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.Engine.Inference;

/// <summary>
/// <see cref="OneRowSplit"/>: a row predicted alone is timed on one thread and split, alternately, after a warm-up, and the
/// faster is kept; with one thread allowed or tuning off nothing is timed. The bits never depend on the choice.
/// </summary>
public class OneRowSplitTests
{
    private const int TimedCalls = 2 * OneRowSplit.SamplesPerChoice;

    /// <summary>Runs the chooser through its warm-up and timing with the given durations of the two choices.</summary>
    private static OneRowSplit Decide(long aloneTicks, long splitTicks)
    {
        var chooser = new OneRowSplit(tuning: true);
        for (int call = 0; call < OneRowSplit.WarmupCalls + TimedCalls; call++)
        {
            int threads = chooser.Begin(2, out long sample);
            if (call < OneRowSplit.WarmupCalls)
            {
                Assert.Equal(-1, sample);
                Assert.Equal(2, threads);
                continue;
            }

            Assert.Equal(call - OneRowSplit.WarmupCalls, sample);
            Assert.Equal(sample % 2 == 0 ? 1 : 2, threads);
            Assert.Null(chooser.KeepsRowsOnCaller);
            chooser.End(sample, threads == 1 ? aloneTicks : splitTicks);
        }

        return chooser;
    }

    [Fact]
    public void KeepsRowsOnTheCallerWhenThatIsFaster()
    {
        OneRowSplit chooser = Decide(aloneTicks: 100, splitTicks: 140);
        Assert.True(chooser.KeepsRowsOnCaller);
        Assert.Equal(1, chooser.Begin(2, out long sample));
        Assert.Equal(-1, sample);
    }

    [Fact]
    public void SplitsWhenThatIsFaster()
    {
        OneRowSplit chooser = Decide(aloneTicks: 140, splitTicks: 100);
        Assert.False(chooser.KeepsRowsOnCaller);
        Assert.Equal(4, chooser.Begin(4, out long sample));
        Assert.Equal(-1, sample);
    }

    [Fact]
    public void TiesKeepTheOtherCoreFree() => Assert.True(Decide(aloneTicks: 100, splitTicks: 100).KeepsRowsOnCaller);

    [Fact]
    public void TimesNothingWithOneThreadOrTuningOff()
    {
        var chooser = new OneRowSplit(tuning: true);
        var off = new OneRowSplit(tuning: false);
        for (int call = 0; call < OneRowSplit.WarmupCalls + TimedCalls + 10; call++)
        {
            Assert.Equal(1, chooser.Begin(1, out long sample));
            Assert.Equal(-1, sample);
            Assert.Equal(2, off.Begin(2, out sample));
            Assert.Equal(-1, sample);
        }

        Assert.Null(chooser.KeepsRowsOnCaller);
        Assert.Null(off.KeepsRowsOnCaller);
    }

    private sealed class Row
    {
        [VectorType(300)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private sealed class Output
    {
        public float Score { get; set; }
    }

    /// <summary>
    /// Through a PredictionEngine on a row wide enough to split: the choice is made after the warm-up and timed calls, and
    /// every call, whichever way it ran, gives the score a one-thread model gives.
    /// </summary>
    [Fact]
    public void PredictionEngineChoosesAndKeepsTheBits()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(5);
        Row[] rows = [.. Enumerable.Range(0, 64).Select(i => new Row
        {
            Features = [.. Enumerable.Range(0, 300).Select(_ => (float)random.NextDouble() - 0.5f)],
            Label = i % 2 == 0,
        })];
        BackpropTransformer model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [256],
            MaximumNumberOfEpochs = 2,
            NumberOfThreads = 2,
            Seed = 1,
        }).Fit(ml.Data.LoadFromEnumerable(rows));
        using PredictionEngine<Row, Output> reference = ml.Model.CreatePredictionEngine<Row, Output>(model);
        model.Model.NumberOfThreads = 1;
        float[] expected = [.. rows.Select(r => reference.Predict(r).Score)];
        model.Model.NumberOfThreads = 2;

        using PredictionEngine<Row, Output> engine = ml.Model.CreatePredictionEngine<Row, Output>(model);
        var output = new Output();
        for (int call = 0; call < OneRowSplit.WarmupCalls + TimedCalls + 64; call++)
        {
            engine.Predict(rows[call % rows.Length], ref output);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[call % rows.Length]), BitConverter.SingleToInt32Bits(output.Score));
        }

        if (Environment.ProcessorCount > 1)
        {
            // Tuning is on unless the environment turned it off (BACKPROP_MLNET_KERNEL_TUNING); then the choice is made by now.
            Assert.Equal(KernelTuner.Enabled, model.Model.Predictor.OneRow.KeepsRowsOnCaller is not null);
        }
    }
}
