namespace Backprop.MLNet.Training;

/// <summary>
/// Why the training loop stopped. The values are the codes model files store; the adapter shows them as the public
/// <c>TrainingStopReason</c>, whose documentation explains each.
/// </summary>
internal enum StopReason
{
    /// <summary>The epoch limit came first.</summary>
    EpochLimit = 0,

    /// <summary>The training loss stopped improving.</summary>
    NoImprovement = 1,

    /// <summary>The adaptive schedule's rate fell to its floor.</summary>
    LearningRateTooSmall = 2,

    /// <summary>The validation score stopped improving (early stopping).</summary>
    EarlyStopped = 3,

    /// <summary>L-BFGS converged.</summary>
    Converged = 4,

    /// <summary>L-BFGS used up its loss evaluations.</summary>
    EvaluationLimit = 5,

    /// <summary>L-BFGS's line search failed.</summary>
    LineSearchFailed = 6,
}
