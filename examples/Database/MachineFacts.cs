using System.Diagnostics;

namespace Database;

/// <summary>The figures about this machine and process that the example prints with its results.</summary>
internal static class MachineFacts
{
    /// <summary>The most physical memory this process has held so far, in bytes (Linux: VmHWM in /proc/self/status).</summary>
    public static long PeakWorkingSet()
    {
        using Process self = Process.GetCurrentProcess();
        self.Refresh();
        return self.PeakWorkingSet64;
    }

    /// <summary>The processor's name from /proc/cpuinfo, with the number of cores .NET sees.</summary>
    public static string Processor()
    {
        string? name = null;
        if (File.Exists("/proc/cpuinfo"))
        {
            name = File.ReadLines("/proc/cpuinfo")
                .Where(line => line.StartsWith("model name", StringComparison.Ordinal))
                .Select(line => line[(line.IndexOf(':') + 1)..].Trim())
                .FirstOrDefault();
        }

        return $"{name ?? "unknown processor"}, {Environment.ProcessorCount} cores";
    }
}
