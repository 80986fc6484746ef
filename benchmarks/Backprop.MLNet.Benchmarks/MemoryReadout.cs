using System.Diagnostics;
using System.Globalization;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// This process's memory as the kernel and the GC see it: the peak working set twice (.NET's
/// <see cref="Process.PeakWorkingSet64"/> and the kernel's own VmHWM line of <c>/proc/self/status</c>, which should agree
/// on Linux), and the memory the GC may use (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>: the GC heap hard limit
/// when one is set, else physical memory or the container's limit).
/// </summary>
internal static class MemoryReadout
{
    /// <summary>The environment variable that sets the GC heap hard limit (a hexadecimal byte count).</summary>
    public const string HeapHardLimitVariable = "DOTNET_GCHeapHardLimit";

    /// <summary>The process's peak working set in bytes, as .NET reports it.</summary>
    /// <returns>The bytes.</returns>
    public static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.PeakWorkingSet64;
    }

    /// <summary>The peak resident set size (VmHWM) from <c>/proc/self/status</c> in bytes, or null where there is no such file.</summary>
    /// <returns>The bytes, or null.</returns>
    public static long? VmHwm() => StatusKilobytes("VmHWM:") * 1024;

    /// <summary>The resident set size now (VmRSS) from <c>/proc/self/status</c> in bytes, or null where there is no such file.</summary>
    /// <returns>The bytes, or null.</returns>
    public static long? VmRss() => StatusKilobytes("VmRSS:") * 1024;

    /// <summary>The memory the GC may use, in bytes (its heap hard limit when one is set).</summary>
    /// <returns>The bytes.</returns>
    public static long GcAvailable() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// The GC's view of memory: what it may use (TotalAvailableMemoryBytes), the memory load it measures (MemoryLoadBytes,
    /// machine-wide unless a container limits it), its high-load threshold, what it has committed and the heap's size.
    /// </summary>
    /// <returns>One line.</returns>
    public static string DescribeGc()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        return $"GCMemoryInfo: TotalAvailableMemoryBytes {Show(info.TotalAvailableMemoryBytes)}, MemoryLoadBytes {Show(info.MemoryLoadBytes)}, " +
            $"HighMemoryLoadThresholdBytes {Show(info.HighMemoryLoadThresholdBytes)}, TotalCommittedBytes {Show(info.TotalCommittedBytes)}, " +
            $"HeapSizeBytes {Show(info.HeapSizeBytes)}; GC.GetTotalMemory {Show(GC.GetTotalMemory(false))}";
    }

    /// <summary>The machine's load averages over 1, 5 and 15 minutes from <c>/proc/loadavg</c> (other processes slow the timings), or "-".</summary>
    /// <returns>The text, e.g. "0.12 0.30 0.25".</returns>
    public static string LoadAverage()
    {
        const string loadavg = "/proc/loadavg";
        return File.Exists(loadavg) ? string.Join(' ', File.ReadAllText(loadavg).Split(' ').Take(3)) : "-";
    }

    /// <summary>
    /// Minor page faults of this process so far (field 10 of <c>/proc/self/stat</c>: first writes to fresh memory among
    /// them), or null where there is no such file.
    /// </summary>
    /// <returns>The count, or null.</returns>
    public static long? MinorFaults()
    {
        const string stat = "/proc/self/stat";
        if (!File.Exists(stat))
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces; the fields after it are counted from its end.
        string text = File.ReadAllText(stat);
        string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }

    /// <summary>The transparent-huge-page setting of the kernel (the bracketed word of its sysfs file), or "-".</summary>
    /// <returns>E.g. "madvise".</returns>
    public static string TransparentHugePages()
    {
        const string setting = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!File.Exists(setting))
        {
            return "-";
        }

        string text = File.ReadAllText(setting);
        int open = text.IndexOf('['), close = text.IndexOf(']');
        return open >= 0 && close > open ? text[(open + 1)..close] : text.Trim();
    }

    /// <summary>The heap hard limit asked for in the environment, as written there, or null.</summary>
    /// <returns>The value of <see cref="HeapHardLimitVariable"/>.</returns>
    public static string? HeapHardLimitSetting() => Environment.GetEnvironmentVariable(HeapHardLimitVariable);

    /// <summary>A byte count as the hexadecimal value <see cref="HeapHardLimitVariable"/> takes, e.g. 0x40000000 for 1 GiB.</summary>
    /// <param name="bytes">The limit.</param>
    /// <returns>The text.</returns>
    public static string HeapHardLimitValue(long bytes) => "0x" + bytes.ToString("X", CultureInfo.InvariantCulture);

    /// <summary>Bytes as gigabytes (10⁹) and gibibytes, e.g. "1.07 GB (1.00 GiB)".</summary>
    /// <param name="bytes">A byte count, or null.</param>
    /// <returns>The text, or "-".</returns>
    public static string Show(long? bytes) => bytes is long b
        ? string.Create(CultureInfo.InvariantCulture, $"{b / 1e9:F2} GB ({b / (double)(1L << 30):F2} GiB)")
        : "-";

    private static long? StatusKilobytes(string key)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }

        string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? null : long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
