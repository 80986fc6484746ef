namespace Backprop.MLNet.Training;

/// <summary>
/// The learning-rate schedule and the stopping rule of stochastic training, with scikit-learn's semantics
/// (<c>_update_no_improvement_count</c> and the optimizers' <c>iteration_ends</c>/<c>trigger_stopping</c>).
/// </summary>
/// <remarks>
/// The rule watches a criterion where lower is better: the training loss, or with early stopping minus the
/// validation score. An epoch whose criterion is not below best − Tolerance counts as "no improvement";
/// after more than NumberOfEpochsWithoutImprovement such epochs in a row, training stops — except with the
/// adaptive schedule, which divides the rate by 5 and carries on until the rate is at most 1e-6.
/// The inverse-scaling schedule sets η = η₀ / (t + 1)^PowerT after each epoch, t = rows seen so far.
/// </remarks>
internal sealed class LearningRateController
{
    /// <summary>The adaptive schedule stops once the rate is at or below this.</summary>
    public const double MinimumAdaptiveLearningRate = 1e-6;

    /// <summary>The adaptive schedule's divisor.</summary>
    public const double AdaptiveDivisor = 5.0;

    private readonly double _initial;
    private readonly ScheduleKind _schedule;
    private readonly double _powerT;
    private readonly double _tolerance;
    private readonly int _patience;
    private readonly bool _earlyStopping;

    /// <summary>Creates the controller, optionally resuming the counters of a checkpoint.</summary>
    public LearningRateController(TrainingSettings settings, TrainingCheckpoint? resume = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _initial = settings.LearningRate;
        _schedule = settings.Solver == SolverKind.Sgd ? settings.LearningRateSchedule : ScheduleKind.Constant;
        _powerT = settings.PowerT;
        _tolerance = settings.Tolerance;
        _patience = settings.NumberOfEpochsWithoutImprovement;
        _earlyStopping = settings.EarlyStopping;
        Current = resume?.LearningRate ?? _initial;
        BestCriterion = resume?.BestCriterion ?? double.PositiveInfinity;
        NoImprovementCount = resume?.NoImprovementCount ?? 0;
    }

    /// <summary>The learning rate for the next epoch.</summary>
    public double Current { get; private set; }

    /// <summary>The best criterion seen (lowest training loss, or minus the highest validation score).</summary>
    public double BestCriterion { get; private set; }

    /// <summary>Consecutive epochs without an improvement of at least the tolerance.</summary>
    public int NoImprovementCount { get; private set; }

    /// <summary>Records an epoch's criterion; returns why to stop, or null to go on.</summary>
    /// <param name="criterion">The training loss, or minus the validation score with early stopping (lower is better).</param>
    /// <param name="samplesSeen">Rows seen by the optimizer so far.</param>
    /// <param name="isBest">Whether this epoch's criterion is strictly the best so far.</param>
    public StopReason? EndEpoch(double criterion, long samplesSeen, out bool isBest)
    {
        if (criterion > BestCriterion - _tolerance)
        {
            NoImprovementCount++;
        }
        else
        {
            NoImprovementCount = 0;
        }

        isBest = criterion < BestCriterion;
        if (isBest)
        {
            BestCriterion = criterion;
        }

        if (_schedule == ScheduleKind.InverseScaling)
        {
            Current = _initial / Math.Pow(samplesSeen + 1.0, _powerT);
        }

        if (NoImprovementCount > _patience)
        {
            if (_schedule != ScheduleKind.Adaptive)
            {
                return _earlyStopping ? StopReason.EarlyStopped : StopReason.NoImprovement;
            }

            if (Current <= MinimumAdaptiveLearningRate)
            {
                return StopReason.LearningRateTooSmall;
            }

            Current /= AdaptiveDivisor;
            NoImprovementCount = 0;
        }

        return null;
    }
}
