namespace Backprop.MLNet;

/// <summary>Why training stopped (see <see cref="TrainingHistory.StopReason"/>).</summary>
public enum TrainingStopReason
{
    /// <summary>
    /// The epoch limit (<c>MaximumNumberOfEpochs</c>) was reached before the stopping rule was met: the model may not
    /// have converged (scikit-learn's ConvergenceWarning; a warning also goes to the MLContext log).
    /// </summary>
    EpochLimit = 0,

    /// <summary>
    /// The training loss did not improve by at least <c>Tolerance</c> for more than
    /// <c>NumberOfEpochsWithoutImprovement</c> consecutive epochs: training has converged as far as the rule can tell.
    /// </summary>
    NoImprovement = 1,

    /// <summary>With the adaptive schedule, the loss stopped improving while the learning rate was already at or below 1e-6.</summary>
    LearningRateTooSmall = 2,

    /// <summary>
    /// Early stopping: the validation score (accuracy, or R² for regression) did not improve by at least <c>Tolerance</c>
    /// for more than <c>NumberOfEpochsWithoutImprovement</c> epochs; the weights of the best-scoring epoch were restored.
    /// </summary>
    EarlyStopped = 3,

    /// <summary>L-BFGS met its convergence test (gradient or change of the loss below tolerance).</summary>
    Converged = 4,

    /// <summary>L-BFGS used up <c>MaximumNumberOfLossEvaluations</c> before converging (a warning goes to the log).</summary>
    EvaluationLimit = 5,

    /// <summary>L-BFGS's line search found no step that lowers the loss enough (often float32 noise near a minimum; a warning goes to the log).</summary>
    LineSearchFailed = 6,
}
