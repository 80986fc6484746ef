using System.Diagnostics;
using System.Text.Json;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// A data file written once and reused by later runs: it is written under a temporary name, renamed when complete, and
/// described by a small manifest (<c>file.done</c>, JSON) holding what it contains and its size. A file is reused only when
/// its manifest describes the same contents and the size on disk is still the recorded one; otherwise it is written again.
/// </summary>
internal static class WrittenOnce
{
    /// <summary>What a written file holds.</summary>
    /// <param name="Path">The file.</param>
    /// <param name="Description">What it contains (generator, version, seed, rows): a file is reused only for the same text.</param>
    /// <param name="Rows">Rows written.</param>
    /// <param name="Bytes">Its size.</param>
    /// <param name="Seconds">How long writing it took.</param>
    /// <param name="WrittenUtc">When it was written.</param>
    /// <param name="Reused">True when this run found it written before (not stored in the manifest).</param>
    public sealed record Manifest(string Path, string Description, long Rows, long Bytes, double Seconds, DateTime WrittenUtc, bool Reused = false);

    /// <summary>Returns the file's manifest, writing the file first unless a complete one with the same description exists.</summary>
    /// <param name="path">The file.</param>
    /// <param name="description">What it contains.</param>
    /// <param name="estimatedBytes">Its expected size, to check the free disk space before writing.</param>
    /// <param name="write">Writes the file at the path given (a temporary one) and returns the rows written.</param>
    /// <returns>The manifest.</returns>
    public static Manifest Ensure(string path, string description, long estimatedBytes, Func<string, long> write)
    {
        string manifestPath = path + ".done";
        if (File.Exists(manifestPath) && File.Exists(path))
        {
            Manifest? old = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(manifestPath));
            if (old is not null && old.Description == description && old.Bytes == new FileInfo(path).Length)
            {
                return old with { Path = path, Reused = true };
            }
        }

        File.Delete(manifestPath);
        File.Delete(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        CheckFreeSpace(path, estimatedBytes);
        string temporary = path + ".partial";
        var clock = Stopwatch.StartNew();
        long rows = write(temporary);
        double seconds = clock.Elapsed.TotalSeconds;
        File.Move(temporary, path, overwrite: true);
        var manifest = new Manifest(path, description, rows, new FileInfo(path).Length, seconds, DateTime.UtcNow);
        File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest));
        return manifest;
    }

    /// <summary>Refuses to start writing <paramref name="bytes"/> more where the disk has less free space than that and 2 GB.</summary>
    private static void CheckFreeSpace(string path, long bytes)
    {
        var drive = new DriveInfo(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!); // any folder on the drive will do
        long margin = 2_000_000_000;
        if (drive.AvailableFreeSpace < bytes + margin)
        {
            throw new IOException($"Writing {path} needs about {bytes / 1e9:F1} GB, and {drive.Name} has {drive.AvailableFreeSpace / 1e9:F1} GB free " +
                $"(keeping {margin / 1e9:F0} GB spare). Free some space or give another --data-dir.");
        }
    }
}
