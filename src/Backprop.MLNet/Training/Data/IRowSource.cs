namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Rows that can be read again and again, each pass through a new <see cref="IRowCursor"/>: what streamed training reads
/// every epoch. The adapter to ML.NET implements it over a data view's cursors; invalid rows (NaN features, a missing label)
/// never reach the training loop, and the targets and weights come as the loop needs them (labels mapped, class weights
/// applied).
/// </summary>
internal interface IRowSource
{
    /// <summary>Number of features per row.</summary>
    int InputSize { get; }

    /// <summary>Number of target values per row.</summary>
    int TargetWidth { get; }

    /// <summary>Whether rows carry weights (else every weight is 1).</summary>
    bool HasWeights { get; }

    /// <summary>Whether the source can read its rows in a shuffled order of its own.</summary>
    bool CanShuffle { get; }

    /// <summary>Starts a pass over the rows.</summary>
    /// <param name="shuffleSeed">Null to read in the stored order; otherwise the seed of the source's own shuffling (ignored when it cannot shuffle).</param>
    IRowCursor Open(ulong? shuffleSeed);
}

/// <summary>
/// One pass over an <see cref="IRowSource"/>: <see cref="MoveNext"/> then the current row's features, target, weight and
/// identity, valid until the next move. Exceptions of the underlying reader propagate unchanged.
/// </summary>
internal interface IRowCursor : IDisposable
{
    /// <summary>Moves to the next valid row; false at the end.</summary>
    bool MoveNext();

    /// <summary>Whether <see cref="Values"/> holds every feature (else only the listed <see cref="Indices"/>).</summary>
    bool IsDense { get; }

    /// <summary>The feature values: all <see cref="IRowSource.InputSize"/> of them when dense, else those at <see cref="Indices"/> (which may include zeros).</summary>
    ReadOnlySpan<float> Values { get; }

    /// <summary>For sparse rows, the increasing feature indices of <see cref="Values"/>; empty when dense.</summary>
    ReadOnlySpan<int> Indices { get; }

    /// <summary>The row's target values.</summary>
    ReadOnlySpan<float> Target { get; }

    /// <summary>The row's weight (1 when the source has none).</summary>
    float Weight { get; }

    /// <summary>An identity of the row that does not depend on the order it is read in (for hold-out by hash).</summary>
    ulong Id { get; }
}
