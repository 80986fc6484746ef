using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>A kernel problem whose cutting-up (<typeparamref name="TShape"/>) <see cref="KernelTuner"/> may choose.</summary>
/// <typeparam name="TShape">The shape: none of its values may change a bit of the output.</typeparam>
internal interface ITunableProblem<TShape> : IKernelProblem
    where TShape : struct
{
    /// <summary>Cuts the problem up as <paramref name="shape"/> says.</summary>
    /// <param name="shape">One of the candidates for the problem's path.</param>
    void Plan(TShape shape);

    /// <summary>
    /// Drops trailing rows of the output so that <see cref="IKernelProblem.Work"/> is at most about
    /// <paramref name="work"/> (at least one row stays): a smaller problem of the same kind, for timing.
    /// </summary>
    /// <param name="work">Multiply–adds to aim for.</param>
    void LimitWork(long work);
}
