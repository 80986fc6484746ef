namespace Backprop.MLNet.Engine.Lbfgs;

/// <summary>The outcome of <see cref="LbfgsMinimizer.Minimize"/>.</summary>
internal sealed class LbfgsResult
{
    /// <summary>Bundles the outcome.</summary>
    /// <param name="stopReason">Why the minimiser stopped.</param>
    /// <param name="iterations">Number of accepted steps.</param>
    /// <param name="functionEvaluations">Number of loss-and-gradient evaluations, including the one at the start point.</param>
    /// <param name="loss">The loss at the returned point.</param>
    /// <param name="gradientInfinityNorm">max |∂f/∂θ_i| at the returned point.</param>
    public LbfgsResult(LbfgsStopReason stopReason, int iterations, int functionEvaluations, double loss, double gradientInfinityNorm)
    {
        StopReason = stopReason;
        Iterations = iterations;
        FunctionEvaluations = functionEvaluations;
        Loss = loss;
        GradientInfinityNorm = gradientInfinityNorm;
    }

    /// <summary>Why the minimiser stopped.</summary>
    public LbfgsStopReason StopReason { get; }

    /// <summary>Number of accepted steps (scipy's <c>nit</c>, scikit-learn's <c>n_iter_</c>).</summary>
    public int Iterations { get; }

    /// <summary>Number of loss-and-gradient evaluations including the start point (scipy's <c>nfev</c>); never above the budget.</summary>
    public int FunctionEvaluations { get; }

    /// <summary>The loss at the returned point, the lowest finite loss evaluated (scipy's <c>fun</c>, scikit-learn's <c>loss_</c>).</summary>
    public double Loss { get; }

    /// <summary>The gradient's ∞-norm at the returned point.</summary>
    public double GradientInfinityNorm { get; }

    /// <summary>True when a tolerance was met (<see cref="LbfgsStopReason.GradientTolerance"/> or <see cref="LbfgsStopReason.FunctionTolerance"/>), scipy's status 0.</summary>
    public bool Converged => StopReason is LbfgsStopReason.GradientTolerance or LbfgsStopReason.FunctionTolerance;
}
