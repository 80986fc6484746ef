namespace Backprop.MLNet.Engine.Lbfgs;

/// <summary>How a <see cref="WolfeLineSearch"/> ended.</summary>
internal enum LineSearchStatus
{
    /// <summary>The last evaluated step satisfies the strong Wolfe conditions.</summary>
    Converged = 0,

    /// <summary>The caller's evaluation budget ran out before an acceptable step was found.</summary>
    EvaluationLimit = 1,

    /// <summary>
    /// No acceptable step was found within the search's own evaluation cap, the bracket shrank to
    /// nothing (typically rounding noise near a minimum), or the step reached its upper bound.
    /// </summary>
    Failed = 2,
}
