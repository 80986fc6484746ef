using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Training (or validation) rows as the training loop sees them: held in memory (<see cref="TrainingData"/>) or read
/// again from their source every pass (<see cref="StreamedRows"/>). The loop only asks for minibatches, so it trains the
/// same way on both.
/// </summary>
internal interface ITrainingRows
{
    /// <summary>Number of rows (for rows streamed and split by <see cref="HoldOut"/>, the whole source's: an upper bound).</summary>
    long Rows { get; }

    /// <summary>Number of features per row.</summary>
    int InputSize { get; }

    /// <summary>Number of target values per row.</summary>
    int TargetWidth { get; }

    /// <summary>Whether the minibatches hold their features in CSR form.</summary>
    bool IsSparse { get; }

    /// <summary>
    /// Σ weights (the row count when unweighted), as the reading pass measured it; an estimate for rows split by
    /// <see cref="HoldOut"/> (the loop itself uses <see cref="IMinibatchSource.EpochWeight"/>).
    /// </summary>
    double TotalWeight { get; }

    /// <summary>Opens the minibatches of these rows.</summary>
    /// <param name="batchSize">Rows per batch (≥ 1).</param>
    /// <param name="shuffle">Whether every epoch draws a new order.</param>
    /// <param name="random">The generator of the orders; may be null when <paramref name="shuffle"/> is false.</param>
    /// <param name="threads">Threads that may gather a batch's rows (rows in memory; streamed rows are read by their own thread).</param>
    IMinibatchSource Batches(int batchSize, bool shuffle, SeededRandom? random, int threads = 1);

    /// <summary>Standardises the features: dense (x − μ)/σ, sparse x/σ (in place for rows in memory; as they are read for streamed ones).</summary>
    /// <param name="standardization">The standardisation.</param>
    void Standardize(InputStandardization standardization);

    /// <summary>
    /// Holds out about <paramref name="fraction"/> of the rows for early stopping: in memory exactly ⌈fraction·n⌉ rows,
    /// stratified by class when asked (<see cref="ValidationSplit"/>); streamed, each row by a seeded hash of its identity.
    /// </summary>
    /// <param name="fraction">The fraction to hold out, in (0, 1).</param>
    /// <param name="stratifyByTarget">Stratify by class (in memory).</param>
    /// <param name="random">The generator that picks the rows.</param>
    (ITrainingRows Train, ITrainingRows Validation) HoldOut(double fraction, bool stratifyByTarget, SeededRandom random);
}
