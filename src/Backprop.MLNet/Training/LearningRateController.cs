using System;

namespace Backprop.MLNet.Training;

/// <summary>
/// The end-of-epoch bookkeeping of scikit-learn's <c>_fit_stochastic</c>: the no-improvement
/// count (<c>_update_no_improvement_count</c> without early stopping), the inverse-scaling update
/// (<c>SGDOptimizer.iteration_ends</c>) and the stop-or-decay decision (<c>trigger_stopping</c>).
/// </summary>
internal sealed class LearningRateController
{
    /// <summary>scikit-learn's floor for the adaptive schedule: at or below it, training stops instead of decaying further.</summary>
    public const double MinimumAdaptiveLearningRate = 1e-6;

    /// <summary>The factor by which the adaptive schedule divides the learning rate.</summary>
    public const double AdaptiveDivisor = 5.0;

    private readonly double _initial;
    private readonly LearningRateSchedule _schedule;
    private readonly double _powerT;
    private readonly double _tolerance;
    private readonly int _patience;

    /// <summary>Creates the controller from the settings; the schedule only applies to <see cref="Solver.Sgd"/>.</summary>
    /// <param name="settings">The training settings.</param>
    public LearningRateController(TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _initial = settings.LearningRate;
        _schedule = settings.Solver == Solver.Sgd ? settings.LearningRateSchedule : LearningRateSchedule.Constant;
        _powerT = settings.PowerT;
        _tolerance = settings.Tolerance;
        _patience = settings.NumberOfEpochsWithoutImprovement;
        Current = _initial;
    }

    /// <summary>The learning rate to use for the next updates.</summary>
    public double Current { get; private set; }

    /// <summary>Lowest epoch loss seen so far (+∞ before the first epoch).</summary>
    public double BestLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>Consecutive epochs whose loss was not below <see cref="BestLoss"/> − tolerance.</summary>
    public int NoImprovementCount { get; private set; }

    /// <summary>Records the end of an epoch and decides whether to stop.</summary>
    /// <param name="epochLoss">The epoch's training loss.</param>
    /// <param name="samplesSeen">Training rows processed since training started (scikit-learn's <c>t_</c>).</param>
    /// <returns>The reason to stop now, or <see langword="null"/> to go on.</returns>
    public TrainingStopReason? EndEpoch(double epochLoss, long samplesSeen)
    {
        if (epochLoss > BestLoss - _tolerance)
        {
            NoImprovementCount++;
        }
        else
        {
            NoImprovementCount = 0;
        }

        if (epochLoss < BestLoss)
        {
            BestLoss = epochLoss;
        }

        if (_schedule == LearningRateSchedule.InverseScaling)
        {
            Current = _initial / Math.Pow(samplesSeen + 1.0, _powerT);
        }

        if (NoImprovementCount > _patience)
        {
            if (_schedule != LearningRateSchedule.Adaptive)
            {
                return TrainingStopReason.NoImprovement;
            }

            if (Current <= MinimumAdaptiveLearningRate)
            {
                return TrainingStopReason.LearningRateTooSmall;
            }

            Current /= AdaptiveDivisor;
            NoImprovementCount = 0;
        }

        return null;
    }
}
