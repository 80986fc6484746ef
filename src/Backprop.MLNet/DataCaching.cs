namespace Backprop.MLNet;

/// <summary>
/// Whether <see cref="BackpropTrainer"/> holds the training rows in memory or streams them from the data view epoch by
/// epoch (ML.NET's caching choice for its trainers: in memory, or none).
/// </summary>
public enum DataCaching
{
    /// <summary>
    /// In memory when the rows fit half of the memory available to the process (estimated from the row count and the
    /// density of the first rows while they are read), streamed otherwise. The switch happens during the one reading pass:
    /// no row is read twice to decide.
    /// </summary>
    Auto = 0,

    /// <summary>
    /// In memory: the rows are read once and every epoch trains from memory (fastest, and full shuffling). Data that does
    /// not fit is refused before it is allocated.
    /// </summary>
    Memory = 1,

    /// <summary>
    /// Streamed: every epoch reads the rows from the data view's cursor in minibatches, so memory is bounded by the network,
    /// the optimizer state and a fixed buffer whatever the row count. Shuffling draws every row from a shuffle buffer of
    /// <see cref="BackpropTrainer.Options.ShuffleBufferSize"/> rows and, when the buffer cannot hold every row, reads a
    /// source that can shuffle (ML.NET's binary <c>.idv</c> files) in its own shuffled order too. Every pass (the statistics, every epoch, the
    /// validation rows) reads the data again, so a source that is slow to read (a database query) makes slow epochs.
    /// </summary>
    Streaming = 2,
}
