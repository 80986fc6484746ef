namespace Backprop.MLNet.Training.Data;

/// <summary>
/// The minibatches of one pass over training rows, epoch after epoch: <see cref="StartEpoch"/>, then <see cref="Next"/>
/// until it returns false. In memory (<see cref="MinibatchSource"/>) or streamed from a row source
/// (<see cref="StreamingMinibatchSource"/>); both give the same batches, in the same order, when shuffling is off.
/// </summary>
internal interface IMinibatchSource : IDisposable
{
    /// <summary>Rows per full batch (the last one of an epoch may be smaller).</summary>
    int BatchSize { get; }

    /// <summary>Starts an epoch: draws its order (when shuffling) and rewinds to its first batch.</summary>
    void StartEpoch();

    /// <summary>The epoch's next batch; its spans stay valid until the next call. False when the epoch is over.</summary>
    /// <param name="batch">The batch.</param>
    bool Next(out Minibatch batch);

    /// <summary>After an epoch: the rows it gave.</summary>
    long EpochRows { get; }

    /// <summary>After an epoch: the Σ of the weights of the rows it gave (the row count when unweighted).</summary>
    double EpochWeight { get; }
}
