namespace Backprop.MLNet.Training;

/// <summary>Why <see cref="MlpTrainer.Train"/> stopped.</summary>
internal enum TrainingStopReason
{
    /// <summary><see cref="TrainingSettings.MaximumNumberOfEpochs"/> epochs were run (scikit-learn would warn that it did not converge).</summary>
    EpochLimit = 0,

    /// <summary>
    /// The training loss did not improve by at least <see cref="TrainingSettings.Tolerance"/> for more than
    /// <see cref="TrainingSettings.NumberOfEpochsWithoutImprovement"/> consecutive epochs (converged).
    /// </summary>
    NoImprovement = 1,

    /// <summary>With the adaptive schedule, the loss stopped improving while the learning rate was already at or below 1e-6.</summary>
    LearningRateTooSmall = 2,
}
