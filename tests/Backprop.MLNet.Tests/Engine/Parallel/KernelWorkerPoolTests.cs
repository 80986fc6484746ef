using System.Diagnostics;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Tests.Engine.Parallel;

/// <summary>Runs alone (not beside other test classes): it reads the shared pool's counters and sets the process-wide spin.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelWorkerPoolCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "Kernel worker pool (not parallel)";
}

/// <summary>
/// The worker pool's spin is bounded by the caller's setting: with 0 a worker blocks between jobs, with a long spin it
/// catches the next job while spinning, and prediction dispatches with the scoring bound, training with the training
/// bound. Assertions count how waits ended (no timings); the pauses between jobs only make the waits long enough to tell.
/// </summary>
[Collection(KernelWorkerPoolCollection.Name)]
public sealed class KernelWorkerPoolTests
{
    private const int Jobs = 20;

    /// <summary>Long enough that a worker spinning for it never runs out while the test pauses between jobs.</summary>
    private const int LongSpinMicroseconds = 500_000;

    /// <summary>
    /// With a spin of 0, a job 2 ms after the last finds the worker blocked, not spinning. (At least half: on a busy machine
    /// a worker descheduled for longer than the pause finds its next job already there, and that counts as not blocking.)
    /// </summary>
    [Fact]
    public void WithASpinOfZeroAnIdleWorkerBlocks()
    {
        (long spinning, long blocked) = RunSeparatedJobs(spinTicks: 0);
        Assert.True(blocked >= Jobs / 2, $"{blocked} of {Jobs} wake-ups came from blocking, {spinning} while spinning");
    }

    /// <summary>With a spin far longer than the pause between jobs, every wake-up but perhaps the first comes while spinning.</summary>
    [Fact]
    public void WithALongSpinAWorkerCatchesTheNextJobSpinning()
    {
        (long spinning, long blocked) = RunSeparatedJobs(spinTicks: LongSpinMicroseconds * Stopwatch.Frequency / 1_000_000);
        Assert.True(spinning >= Jobs - 1, $"{spinning} of {Jobs} wake-ups came while spinning, {blocked} from blocking");
        // Leave the worker blocked for the tests that follow: one job with no spin.
        Assert.True(KernelWorkerPool.Shared.TryRun(new CountingJob(), threads: 2, spinTicks: 0));
    }

    /// <summary>
    /// A one-row prediction dispatches with the scoring bound: with scoring's spin 0 and training's spin long, the worker
    /// blocks between predicted rows. Outside prediction, the same kind of job uses the training bound and spins.
    /// </summary>
    [Fact]
    public void PredictionUsesTheScoringSpinAndTrainingTheTrainingSpin()
    {
        int training = WorkerSpin.TrainingMicroseconds, scoring = WorkerSpin.ScoringMicroseconds;
        try
        {
            WorkerSpin.TrainingMicroseconds = LongSpinMicroseconds;
            WorkerSpin.ScoringMicroseconds = 0;
            // One dense row of 600 non-zero inputs into 128 units: 600 · 128 · 4 ≥ KernelRunner.MinimumParallelWork, so it is split.
            Network network = Network.CreateInitialized(600, [128], 3, ActivationKind.Relu, OutputKind.Softmax, seed: 1);
            var predictor = new NetworkPredictor(network);
            InferenceScratch scratch = predictor.CreateScratch(1);
            float[] row = Enumerable.Range(0, 600).Select(i => 1f + (i % 7)).ToArray();
            float[] expected = predictor.Predict(row, 1, scratch, threads: 1).Outputs.ToArray();

            (long spinning, long blocked) = Counted(() =>
            {
                long dispatched = KernelRunner.ParallelDispatchesOnCurrentThread;
                Assert.Equal(expected, predictor.Predict(row, 1, scratch, threads: 2).Outputs.ToArray());
                Assert.Equal(dispatched + 1, KernelRunner.ParallelDispatchesOnCurrentThread);
            });
            Assert.True(blocked >= Jobs / 2, $"Predicting: {blocked} of {Jobs} wake-ups came from blocking, {spinning} while spinning");

            // The same layer run by training's kernel (no scoring scope), on 8 rows: enough work to be split as well.
            float[] rows = Enumerable.Repeat(row, 8).SelectMany(r => r).ToArray();
            var z = new float[8 * 128];
            float[] weights = network.WeightsOf(0).ToArray(), biases = network.BiasesOf(0).ToArray();
            (spinning, blocked) = Counted(() =>
            {
                long dispatched = KernelRunner.ParallelDispatchesOnCurrentThread;
                DenseForwardKernel.Compute(rows, 8, 600, weights, biases, 128, z, ReluActivation.Instance, threads: 2);
                Assert.Equal(dispatched + 1, KernelRunner.ParallelDispatchesOnCurrentThread);
            });
            Assert.True(spinning >= Jobs - 1, $"Training: {spinning} of {Jobs} wake-ups came while spinning, {blocked} from blocking");
        }
        finally
        {
            WorkerSpin.TrainingMicroseconds = training;
            WorkerSpin.ScoringMicroseconds = scoring;
            Assert.True(KernelWorkerPool.Shared.TryRun(new CountingJob(), threads: 2, spinTicks: 0));
        }
    }

    /// <summary>The spin a thread dispatches with: training's outside a scoring scope, scoring's inside, restored after it.</summary>
    [Fact]
    public void TheScoringScopeChoosesTheScoringSpinAndRestoresTheTrainingOne()
    {
        int training = WorkerSpin.TrainingMicroseconds, scoring = WorkerSpin.ScoringMicroseconds;
        try
        {
            WorkerSpin.TrainingMicroseconds = 1_000;
            WorkerSpin.ScoringMicroseconds = 10;
            long trainingTicks = 1_000 * Stopwatch.Frequency / 1_000_000, scoringTicks = 10 * Stopwatch.Frequency / 1_000_000;
            Assert.Equal(trainingTicks, WorkerSpin.TicksForCurrentThread());
            using (WorkerSpin.Scoring())
            {
                Assert.Equal(scoringTicks, WorkerSpin.TicksForCurrentThread());
                using (WorkerSpin.Scoring())
                {
                    Assert.Equal(scoringTicks, WorkerSpin.TicksForCurrentThread());
                }

                Assert.Equal(scoringTicks, WorkerSpin.TicksForCurrentThread());
            }

            Assert.Equal(trainingTicks, WorkerSpin.TicksForCurrentThread());
            Assert.Throws<ArgumentOutOfRangeException>(() => WorkerSpin.ScoringMicroseconds = -1);
            Assert.Throws<ArgumentOutOfRangeException>(() => WorkerSpin.TrainingMicroseconds = WorkerSpin.MaximumMicroseconds + 1);
        }
        finally
        {
            WorkerSpin.TrainingMicroseconds = training;
            WorkerSpin.ScoringMicroseconds = scoring;
        }
    }

    /// <summary>Runs <see cref="Jobs"/> two-thread jobs 2 ms apart with the given spin; returns how the worker's waits ended.</summary>
    private static (long Spinning, long Blocked) RunSeparatedJobs(long spinTicks) => Counted(() =>
    {
        var job = new CountingJob();
        Assert.True(KernelWorkerPool.Shared.TryRun(job, threads: 2, spinTicks));
        Assert.Equal(job.TaskCount, job.Ran);
    });

    /// <summary>Runs <paramref name="dispatch"/> <see cref="Jobs"/> times, 2 ms apart; returns the change in the pool's wake-up counts.</summary>
    private static (long Spinning, long Blocked) Counted(Action dispatch)
    {
        dispatch(); // starts the worker if needed, and sets the spin the first counted wait uses
        Thread.Sleep(2);
        KernelWorkerPool pool = KernelWorkerPool.Shared;
        long spinning = pool.WakeUpsWhileSpinning, blocked = pool.WakeUpsFromBlocking;
        for (int i = 0; i < Jobs; i++)
        {
            dispatch();
            Thread.Sleep(2);
        }

        (long Spinning, long Blocked) counted = (pool.WakeUpsWhileSpinning - spinning, pool.WakeUpsFromBlocking - blocked);
        // One worker, woken once per job: every wake-up is counted once, one way or the other.
        Assert.Equal(Jobs, counted.Spinning + counted.Blocked);
        return counted;
    }

    /// <summary>A job of many tiny tasks that counts the tasks run.</summary>
    private sealed class CountingJob : KernelJob
    {
        private int _ran;

        public int Ran => Volatile.Read(ref _ran);

        public override int TaskCount => 64;

        public override int ArenaFloats => 0;

        public override void RunTask(int task, PackBuffer arena) => Interlocked.Increment(ref _ran);
    }
}
