namespace Backprop.MLNet.Engine.Lbfgs;

/// <summary>Why <see cref="LbfgsMinimizer.Minimize"/> stopped.</summary>
internal enum LbfgsStopReason
{
    /// <summary>
    /// The gradient's ∞-norm fell to the gradient tolerance or below (scipy L-BFGS-B:
    /// "CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_&lt;=_PGTOL"). Converged.
    /// </summary>
    GradientTolerance = 0,

    /// <summary>
    /// The relative loss decrease of the last step, (f_k − f_(k+1)) / max(|f_k|, |f_(k+1)|, 1), fell to the
    /// function tolerance or below (scipy: "CONVERGENCE: REL_REDUCTION_OF_F_&lt;=_FACTR*EPSMCH"). Converged.
    /// </summary>
    FunctionTolerance = 1,

    /// <summary>The maximum number of iterations was reached (scipy: "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT").</summary>
    IterationLimit = 2,

    /// <summary>
    /// The maximum number of loss-and-gradient evaluations was reached, possibly in the middle of a
    /// line search (scipy: "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT").
    /// </summary>
    EvaluationLimit = 3,

    /// <summary>
    /// The line search found no acceptable step even along the steepest-descent direction with a
    /// fresh memory (scipy: "ABNORMAL_TERMINATION_IN_LNSRCH"); usually rounding noise near a minimum.
    /// </summary>
    LineSearchFailed = 4,

    /// <summary>The loss or gradient at the starting point is NaN or infinite; nothing was changed.</summary>
    NonFiniteStart = 5,
}
