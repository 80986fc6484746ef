namespace Backprop.MLNet;

/// <summary>
/// Whether <see cref="BackpropTrainer"/> holds the training rows in memory, streams them from a temporary file it writes
/// while reading them once, or streams them from the data view epoch by epoch (ML.NET's caching choice for its trainers: in
/// memory, or none; the file is this library's).
/// </summary>
public enum DataCaching
{
    /// <summary>
    /// In memory when the rows fit half of the memory available to the process (estimated from the row count and the
    /// density of the first rows while they are read), otherwise as <see cref="Disk"/>, and as <see cref="Streaming"/> when
    /// the temporary file cannot be written or its directory keeps files in memory (tmpfs, a RAM disk; a warning in the log
    /// says why). The switch happens during the one reading pass: the rows read before it are read again only to be
    /// written to the file (usually the first 1,024).
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
    /// source that can shuffle (ML.NET's binary <c>.idv</c> files) in its own shuffled order too. Every pass (the
    /// statistics, every epoch, the validation rows) reads the data again, so a source that is slow to read (a database
    /// query, a compressed or text file) makes slow epochs: <see cref="Disk"/> reads it once.
    /// </summary>
    Streaming = 2,

    /// <summary>
    /// Streamed from a temporary file: the reading pass (the one that learns the statistics) writes the valid rows to a file
    /// in <c>MLContext.TempFilePath</c> as it reads them, and every epoch streams them from there, shuffled by blocks of
    /// 1 MiB and the shuffle buffer, with the memory of <see cref="Streaming"/>. The data view is read once, so a source that
    /// is costly to read again (a compressed <c>.idv</c> file, a text file, a database query) costs that once; the file holds
    /// the rows as read (4 bytes per feature, or 8 per non-zero) and is removed when training ends (on Linux and macOS
    /// it has no name from the start, so even a killed process leaves nothing). Writing stops with an
    /// <see cref="IOException"/> naming the directory before the disk's free space would fall under 1 GiB (<see cref="Auto"/>,
    /// which knows the rows' size when it turns to the file, does not start a file that would).
    /// </summary>
    Disk = 3,
}
