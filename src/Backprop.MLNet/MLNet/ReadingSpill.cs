using System.Globalization;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.MLNet;

/// <summary>Where the reading pass may write rows it will not hold (<see cref="DataCaching.Disk"/>, or <see cref="DataCaching.Auto"/> when they do not fit memory).</summary>
/// <param name="Directory">The directory of the temporary file (ML.NET's <c>MLContext.TempFilePath</c>).</param>
/// <param name="ReserveBytes">Free space the file leaves on its disk.</param>
/// <param name="FreeBytes">The disk's free space (null: asked of the file system; tests give their own).</param>
/// <param name="InMemory">Whether the directory's file system keeps its files in memory (Linux's tmpfs, a RAM disk).</param>
internal sealed record SpillSettings(string Directory, long ReserveBytes = SpillSettings.DefaultReserveBytes, Func<long>? FreeBytes = null, bool InMemory = false)
{
    /// <summary>The free space left on the disk by default: 1 GiB.</summary>
    public const long DefaultReserveBytes = 1L << 30;

    /// <summary>The settings for <paramref name="directory"/>, with its file system's kind asked of the system.</summary>
    /// <param name="directory">The directory of the temporary file.</param>
    public static SpillSettings For(string directory)
    {
        bool inMemory;
        try
        {
            inMemory = new DriveInfo(Path.GetFullPath(directory)).DriveType == DriveType.Ram;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            inMemory = false; // a missing directory fails when the file is made, with its own message
        }

        return new SpillSettings(directory, InMemory: inMemory);
    }
}

/// <summary>
/// The reading pass's writing of rows to a <see cref="RowSpill"/>, from the first row or from the moment the rows are seen
/// not to fit memory (the rows read before that are read again from the start, by a second cursor, so the file holds every
/// row in the data view's order). Rows are written as read: the example weight before class weights, the target before
/// the label scaling (both are known only after the pass, and are applied as the file is read). When the file cannot be
/// written, a <see cref="DataCaching.Disk"/> training stops with a message; an automatic one carries on without the file
/// (<see cref="Failure"/> says why) and streams from the data view.
/// </summary>
/// <param name="source">The rows being read.</param>
/// <param name="settings">Where to write.</param>
/// <param name="required">Whether a failure stops training (<see cref="DataCaching.Disk"/>).</param>
/// <param name="purpose">"training" or "validation", for messages.</param>
internal sealed class ReadingSpill(DataViewRowSource source, SpillSettings settings, bool required, string purpose) : IDisposable
{
    private RowSpill? _spill;
    private bool _failed;

    /// <summary>Why the file could not be written, when an automatic training carried on without it; else null.</summary>
    public string? Failure { get; private set; }

    /// <summary>
    /// Starts the file, first writing again the <paramref name="rowsBefore"/> valid rows already read; gives up at once
    /// (as when writing fails) when the rows' estimated size would not leave the reserve free on the disk.
    /// </summary>
    /// <param name="rowsBefore">The valid rows read before this one.</param>
    /// <param name="estimatedBytes">What the whole file is expected to take, or null when not known.</param>
    public void Start(long rowsBefore, double? estimatedBytes = null)
    {
        if (_spill is not null || _failed)
        {
            return;
        }

        if (source.Scaling is not null || source.ClassWeights is not null)
        {
            throw new InvalidOperationException("The rows are written before the label scaling and class weights are known.");
        }

        try
        {
            if (settings.InMemory && !required)
            {
                // A file system in memory (tmpfs) would hold the rows in the memory they were let go for not fitting.
                throw new IOException(
                    $"'{settings.Directory}' keeps its files in memory (tmpfs or a RAM disk), where the rows would take the memory they do not fit in; " +
                    "point mlContext.TempFilePath at a directory on disk");
            }

            _spill = RowSpill.Create(settings.Directory, source.InputSize, source.TargetWidth, settings.ReserveBytes, settings.FreeBytes);
            if (estimatedBytes is { } needed && _spill.FreeBytes() is long free && free - needed < settings.ReserveBytes)
            {
                throw new IOException(
                    string.Create(CultureInfo.InvariantCulture, $"the rows need about {needed / (1 << 20):N1} MiB, the disk has {free / (double)(1 << 20):N1} MiB free, ") +
                    string.Create(CultureInfo.InvariantCulture, $"and at least {settings.ReserveBytes / (double)(1 << 20):N0} MiB are left free"));
            }

            if (rowsBefore == 0)
            {
                return;
            }

            using DataViewRowSource.Cursor again = source.Open(shuffleSeed: null);
            for (long i = 0; i < rowsBefore; i++)
            {
                if (!again.MoveNext())
                {
                    throw new InvalidOperationException(
                        $"BackpropTrainer read {rowsBefore:N0} valid {purpose} rows, then only {i:N0} when it read them again to write them to a temporary file: " +
                        "two cursors over the data view gave different rows. Make the data view repeatable (a database query needs ORDER BY), " +
                        "or use Caching = DataCaching.Streaming.");
                }

                Append(again);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(e);
        }
    }

    /// <summary>Writes the cursor's row when the file is being written.</summary>
    /// <param name="cursor">The reading pass's cursor, on a valid row.</param>
    public void Append(DataViewRowSource.Cursor cursor)
    {
        if (_spill is null)
        {
            return;
        }

        try
        {
            _spill.Append(new RowView(cursor.IsDense, cursor.Values, cursor.Indices, cursor.Target, cursor.ExampleWeight), cursor.Id);
        }
        catch (IOException e)
        {
            Fail(e);
        }
    }

    /// <summary>The complete file, or null when none was written (or it failed); the caller owns it.</summary>
    public RowSpill? Finish()
    {
        try
        {
            _spill?.Complete();
        }
        catch (IOException e)
        {
            Fail(e);
        }

        RowSpill? done = _spill;
        _spill = null;
        return done;
    }

    /// <summary>Removes an unfinished file.</summary>
    public void Dispose() => _spill?.Dispose();

    private void Fail(Exception e)
    {
        _spill?.Dispose();
        _spill = null;
        _failed = true;
        string what = $"the {purpose} rows could not be written to a temporary file in '{settings.Directory}': {e.Message}";
        if (required)
        {
            throw new IOException(
                $"BackpropTrainer cannot train with Caching = DataCaching.Disk: {what}. Point mlContext.TempFilePath at a directory with room for the rows, " +
                "or use Caching = DataCaching.Streaming (reads the data view every epoch).", e);
        }

        Failure = what;
    }
}
