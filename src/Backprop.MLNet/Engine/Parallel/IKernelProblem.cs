namespace Backprop.MLNet.Engine.Parallel;

/// <summary>
/// One matrix product split into independent tasks. A task always writes the same output elements
/// with the same arithmetic whichever thread runs it, which makes results independent of the
/// thread count.
/// </summary>
internal interface IKernelProblem
{
    /// <summary>Number of independent tasks.</summary>
    int TaskCount { get; }

    /// <summary>Floats of packing space a thread needs to run one task.</summary>
    int ArenaFloats { get; }

    /// <summary>Multiply–add operations of the whole problem (decides whether threads pay off).</summary>
    long Work { get; }

    /// <summary>Runs task <paramref name="task"/>.</summary>
    /// <param name="task">Task index, 0 ≤ task &lt; <see cref="TaskCount"/>.</param>
    /// <param name="arena">The running thread's packing buffer, at least <see cref="ArenaFloats"/> long.</param>
    void RunTask(int task, PackBuffer arena);
}
