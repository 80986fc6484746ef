using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Parallel;

/// <summary>Runs a kernel problem on the calling thread or spread over the shared <see cref="KernelWorkerPool"/>.</summary>
internal static class KernelRunner
{
    /// <summary>Below this many multiply–adds (≈ 10 µs of work) waking workers costs more than it saves.</summary>
    internal const long MinimumParallelWork = 1L << 18;

    /// <summary>Backs <see cref="ParallelDispatchesOnCurrentThread"/>.</summary>
    [ThreadStatic]
    private static long t_parallelDispatches;

    /// <summary>
    /// Problems this thread has offered to the worker pool (whether it was free or busy): a count for tests, which shows
    /// whether a thread limit of 1 keeps a caller off the pool.
    /// </summary>
    internal static long ParallelDispatchesOnCurrentThread => t_parallelDispatches;

    /// <summary>
    /// Runs every task of <paramref name="problem"/>, using up to <paramref name="threads"/> threads
    /// (the caller included). The result does not depend on <paramref name="threads"/>.
    /// </summary>
    /// <typeparam name="TProblem">The problem type.</typeparam>
    /// <param name="problem">The problem; its pointers must stay valid (pinned) until this returns.</param>
    /// <param name="threads">Maximum number of threads (≥ 1).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TProblem>(in TProblem problem, int threads)
        where TProblem : struct, IKernelProblem
    {
        int tasks = problem.TaskCount;
        if (tasks == 0)
        {
            return;
        }

        if (threads > 1 && tasks > 1 && problem.Work >= MinimumParallelWork)
        {
            t_parallelDispatches++;
            long spinTicks = WorkerSpin.TicksForCurrentThread();
            KernelJob<TProblem> job = KernelJob<TProblem>.ForCurrentThread;
            job.Problem = problem;
            try
            {
                if (KernelWorkerPool.Shared.TryRun(job, Math.Min(threads, tasks), spinTicks))
                {
                    return;
                }
            }
            finally
            {
                job.Problem = default;
            }
        }

        PackBuffer arena = problem.ArenaFloats == 0 ? PackBuffer.None : PackBuffer.ForCurrentThread;
        arena.Ensure(problem.ArenaFloats);
        for (int t = 0; t < tasks; t++)
        {
            problem.RunTask(t, arena);
        }
    }
}
