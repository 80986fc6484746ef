namespace Backprop.MLNet;

/// <summary>
/// What happened in one epoch (one pass over the training data) of backpropagation training.
/// Immutable; one instance is reported per epoch, in order.
/// </summary>
public sealed record EpochReport
{
    /// <summary>The 1-based epoch number (scikit-learn's <c>n_iter_</c> after this epoch).</summary>
    public int Epoch { get; init; }

    /// <summary>
    /// Mean training loss over the epoch's minibatches, including the L2 penalty, as each batch saw
    /// it while the weights were being updated (an entry of scikit-learn's <c>loss_curve_</c>).
    /// </summary>
    public double TrainingLoss { get; init; }

    /// <summary>
    /// Mean loss on the validation data after the epoch, without the L2 penalty;
    /// <see langword="null"/> when no validation data was given.
    /// </summary>
    public double? ValidationLoss { get; init; }

    /// <summary>
    /// The score on the validation data after the epoch, the one <see cref="BackpropTrainer.Options.EarlyStopping"/> maximises
    /// (an entry of scikit-learn's <c>validation_scores_</c>): the (weighted) accuracy for classification, in [0, 1]; the
    /// coefficient of determination R² for regression (averaged over the outputs), at most 1; <see langword="null"/> when no
    /// validation data was given (and in the history of a model saved by a version that did not keep it).
    /// </summary>
    public double? ValidationScore { get; init; }

    /// <summary>The learning rate used for the updates of this epoch (for Adam, the base rate).</summary>
    public double LearningRate { get; init; }

    /// <summary>Wall-clock time from the start of training to the end of this epoch.</summary>
    public TimeSpan Elapsed { get; init; }
}
