using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Parallel;

/// <summary>A kernel problem handed to <see cref="KernelWorkerPool"/>: the non-generic face the workers see.</summary>
internal abstract class KernelJob
{
    /// <summary>Number of independent tasks.</summary>
    public abstract int TaskCount { get; }

    /// <summary>Floats of packing space each participating thread needs.</summary>
    public abstract int ArenaFloats { get; }

    /// <summary>Runs task <paramref name="task"/> with the running thread's packing buffer.</summary>
    /// <param name="task">Task index.</param>
    /// <param name="arena">Packing buffer of the running thread.</param>
    public abstract void RunTask(int task, PackBuffer arena);
}

/// <summary>
/// Wraps a problem struct as a <see cref="KernelJob"/>. One instance per calling thread and problem
/// type is reused for every call (<see cref="ForCurrentThread"/>), so dispatching allocates nothing.
/// </summary>
/// <typeparam name="TProblem">The problem type.</typeparam>
internal sealed class KernelJob<TProblem> : KernelJob
    where TProblem : struct, IKernelProblem
{
    /// <summary>Backs <see cref="ForCurrentThread"/>.</summary>
    [System.ThreadStatic]
    private static KernelJob<TProblem>? t_instance;

    /// <summary>The problem being run; set by the caller before dispatch.</summary>
    public TProblem Problem;

    /// <summary>The calling thread's reusable job of this type.</summary>
    public static KernelJob<TProblem> ForCurrentThread
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get => t_instance ??= new KernelJob<TProblem>();
    }

    /// <inheritdoc />
    public override int TaskCount
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get => Problem.TaskCount;
    }

    /// <inheritdoc />
    public override int ArenaFloats
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get => Problem.ArenaFloats;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void RunTask(int task, PackBuffer arena) => Problem.RunTask(task, arena);
}
