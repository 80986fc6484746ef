namespace Backprop.MLNet.Training;

/// <summary>What the training loop records about one epoch (the public face shows it as an <c>EpochReport</c>).</summary>
/// <param name="Epoch">The 1-based epoch number.</param>
/// <param name="TrainingLoss">The mean training loss over the epoch's minibatches, L2 penalty included.</param>
/// <param name="ValidationLoss">The mean validation loss after the epoch, or null without validation data.</param>
/// <param name="ValidationScore">
/// The validation score after the epoch (<see cref="Evaluation"/>'s: accuracy, or R² for regression), or null without
/// validation data (and in the records of models saved before the score was kept).
/// </param>
/// <param name="LearningRate">The learning rate of the epoch's updates.</param>
/// <param name="Elapsed">Time from the start of training (across warm starts) to the end of the epoch.</param>
internal readonly record struct EpochRecord(int Epoch, double TrainingLoss, double? ValidationLoss, double? ValidationScore, double LearningRate, TimeSpan Elapsed);
