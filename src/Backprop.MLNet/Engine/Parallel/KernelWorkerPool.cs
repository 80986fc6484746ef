using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Backprop.MLNet.Engine.Parallel;

/// <summary>
/// A small process-wide pool of dedicated background threads that run the tasks of one
/// <see cref="KernelJob"/> at a time together with the calling thread. Dispatch allocates nothing:
/// workers are woken through per-worker events and claim task indices by compare-and-swap, the caller from the
/// front of the job and the workers from its back.
/// </summary>
/// <remarks>
/// One caller uses the pool at a time. A caller that finds it busy (another training on another
/// thread) runs its tasks alone instead; since every task computes the same bits whichever thread
/// runs it, concurrent trainings give exactly the results they would give one after the other.
/// Workers spin for a bounded time after a job (the next product of a minibatch follows within microseconds), the
/// caller likewise while it waits for them, and then block: the caller says how long with each job (see
/// <see cref="WorkerSpin"/>). Workers are background threads and never keep the process alive.
/// </remarks>
internal sealed class KernelWorkerPool
{
    /// <summary>Upper bound on worker threads, whatever thread count is asked for.</summary>
    public const int MaximumWorkers = 63;

    /// <summary>Held by the one caller using the pool.</summary>
    private readonly object _gate = new();

    /// <summary>Workers started so far (only grows).</summary>
    private readonly List<Worker> _workers = [];

    /// <summary>Set by the last worker to finish the current job.</summary>
    private readonly ManualResetEventSlim _done = new(false, spinCount: 0);

    /// <summary>The job being run, or null between jobs.</summary>
    private KernelJob? _job;

    /// <summary>
    /// The unclaimed tasks [front, back), packed as <c>back &lt;&lt; 32 | front</c> and claimed by compare-and-swap: the
    /// caller takes tasks from the front, workers from the back. With one worker that keeps each thread on the same part
    /// of a problem call after call (the caller the first panels of a layer, the worker the last), so each core's cache
    /// holds only its own part of the weights.
    /// </summary>
    private long _unclaimed;

    /// <summary>Workers of the current job that have not finished yet.</summary>
    private int _pending;

    /// <summary>The first exception a task threw in the current job, rethrown on the caller.</summary>
    private Exception? _failure;

    /// <summary>How long, in <see cref="Stopwatch"/> ticks, threads spin after the current job before they block.</summary>
    private long _spinTicks;

    /// <summary>Backs <see cref="WakeUpsWhileSpinning"/>.</summary>
    private long _wakeUpsWhileSpinning;

    /// <summary>Backs <see cref="WakeUpsFromBlocking"/>.</summary>
    private long _wakeUpsFromBlocking;

    /// <summary>The process-wide pool.</summary>
    public static KernelWorkerPool Shared { get; } = new();

    /// <summary>Times a worker's wait for a job ended while it was still spinning (or found the job already there).</summary>
    public long WakeUpsWhileSpinning => Interlocked.Read(ref _wakeUpsWhileSpinning);

    /// <summary>Times a worker's wait for a job ended after it had blocked (its spin was over, or 0).</summary>
    public long WakeUpsFromBlocking => Interlocked.Read(ref _wakeUpsFromBlocking);

    /// <summary>
    /// Runs all tasks of <paramref name="job"/> on the caller and up to <paramref name="threads"/> − 1 workers,
    /// or returns false at once (running nothing) when another caller holds the pool.
    /// </summary>
    /// <param name="job">The job; its <see cref="KernelJob.TaskCount"/> must be ≥ 1.</param>
    /// <param name="threads">Threads to use including the caller (≥ 2).</param>
    /// <param name="spinTicks">
    /// How long, in <see cref="Stopwatch"/> ticks, the caller spins waiting for the workers, and each worker spins
    /// waiting for the next job, before blocking (≥ 0; 0 blocks at once).
    /// </param>
    /// <returns>True when the job ran; false when the pool was busy.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryRun(KernelJob job, int threads, long spinTicks)
    {
        if (!Monitor.TryEnter(_gate))
        {
            return false;
        }

        try
        {
            int helpers = Math.Min(threads - 1, MaximumWorkers);
            while (_workers.Count < helpers)
            {
                _workers.Add(new Worker(this, _workers.Count));
            }

            int arenaFloats = job.ArenaFloats;
            for (int w = 0; w < helpers; w++)
            {
                _workers[w].Arena.Ensure(arenaFloats);
            }

            PackBuffer own = PackBuffer.ForCurrentThread;
            own.Ensure(arenaFloats);

            _job = job;
            _unclaimed = (long)job.TaskCount << 32;
            _failure = null;
            _spinTicks = spinTicks;
            _pending = helpers;
            _done.Reset();
            for (int w = 0; w < helpers; w++)
            {
                _workers[w].Wake.Set();
            }

            RunTasks(own, fromBack: false);
            SpinThenWait(_done, spinTicks);
            _job = null;
            if (_failure is not null)
            {
                ExceptionDispatchInfo.Throw(_failure);
            }

            return true;
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    /// <summary>
    /// Waits until <paramref name="signal"/> is set: polls it, yielding the core between polls, for at most
    /// <paramref name="spinTicks"/>, then blocks.
    /// </summary>
    /// <param name="signal">The event (made with no spin of its own).</param>
    /// <param name="spinTicks">The spin bound in <see cref="Stopwatch"/> ticks; 0 blocks at once.</param>
    /// <returns>True when the wait ended without blocking.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SpinThenWait(ManualResetEventSlim signal, long spinTicks)
    {
        if (signal.IsSet)
        {
            return true;
        }

        if (spinTicks > 0)
        {
            long deadline = Stopwatch.GetTimestamp() + spinTicks;
            var spinner = default(SpinWait);
            do
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                if (signal.IsSet)
                {
                    return true;
                }
            }
            while (Stopwatch.GetTimestamp() < deadline);
        }

        signal.Wait();
        return false;
    }

    /// <summary>Claims and runs tasks of the current job until none are left.</summary>
    /// <param name="arena">The running thread's packing buffer.</param>
    /// <param name="fromBack">True to claim the last unclaimed task each time (workers), false the first (the caller).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunTasks(PackBuffer arena, bool fromBack)
    {
        KernelJob job = _job!;
        try
        {
            int task;
            while ((task = Claim(fromBack)) >= 0)
            {
                job.RunTask(task, arena);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            Volatile.Write(ref _unclaimed, 0);
        }
    }

    /// <summary>Claims the first or the last unclaimed task; −1 when none is left.</summary>
    /// <param name="fromBack">True for the last.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Claim(bool fromBack)
    {
        while (true)
        {
            long state = Volatile.Read(ref _unclaimed);
            int front = (int)state, back = (int)(state >> 32);
            if (front >= back)
            {
                return -1;
            }

            long next = fromBack ? ((long)(back - 1) << 32) | (uint)front : ((long)back << 32) | (uint)(front + 1);
            if (Interlocked.CompareExchange(ref _unclaimed, next, state) == state)
            {
                return fromBack ? back - 1 : front;
            }
        }
    }

    /// <summary>One dedicated background thread with its wake-up event and packing buffer.</summary>
    private sealed class Worker
    {
        /// <summary>The owning pool.</summary>
        private readonly KernelWorkerPool _pool;

        /// <summary>Starts the thread.</summary>
        /// <param name="pool">The owning pool.</param>
        /// <param name="index">Worker number (for the thread name).</param>
        public Worker(KernelWorkerPool pool, int index)
        {
            _pool = pool;
            var thread = new Thread(Loop, maxStackSize: 256 * 1024)
            {
                IsBackground = true,
                Name = $"Backprop.MLNet kernel worker {index + 1}",
            };
            thread.Start();
        }

        /// <summary>Set by the caller to start this worker on the current job.</summary>
        public ManualResetEventSlim Wake { get; } = new(false, spinCount: 0);

        /// <summary>This worker's packing buffer (grown by the caller before each dispatch).</summary>
        public PackBuffer Arena { get; } = new();

        /// <summary>Waits for jobs forever, spinning after each as long as that job's caller said.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Loop()
        {
            long spinTicks = 0;
            while (true)
            {
                if (SpinThenWait(Wake, spinTicks))
                {
                    Interlocked.Increment(ref _pool._wakeUpsWhileSpinning);
                }
                else
                {
                    Interlocked.Increment(ref _pool._wakeUpsFromBlocking);
                }

                Wake.Reset();
                // The caller wrote it before waking this worker and cannot start another job before this one's decrement.
                spinTicks = _pool._spinTicks;
                _pool.RunTasks(Arena, fromBack: true);
                if (Interlocked.Decrement(ref _pool._pending) == 0)
                {
                    _pool._done.Set();
                }
            }
        }
    }
}
