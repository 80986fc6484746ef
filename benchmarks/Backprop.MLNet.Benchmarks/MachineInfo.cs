using System.Numerics;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Backprop.MLNet.Engine.Kernels;
using Microsoft.ML;

namespace Backprop.MLNet.Benchmarks;

/// <summary>Prints what the numbers were measured on: machine, runtime, vector support, versions and date.</summary>
internal static class MachineInfo
{
    /// <summary>Prints the header.</summary>
    /// <param name="options">The command line, echoed.</param>
    public static void Print(BenchmarkOptions options)
    {
        var table = new Table("Machine", "");
        table.Add("Date (UTC)", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss"));
        table.Add("CPU", CpuModel());
        table.Add("Environment.ProcessorCount", Environment.ProcessorCount.ToString());
        table.Add("OS", RuntimeInformation.OSDescription);
        table.Add("Process architecture", RuntimeInformation.ProcessArchitecture.ToString());
        table.Add(".NET", $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
        table.Add("GC", GCSettings.IsServerGC ? "server" : "workstation" + (GCSettings.LatencyMode == GCLatencyMode.Interactive ? ", concurrent" : ""));
        table.Add("Vector512 accelerated / Avx512F", $"{Vector512.IsHardwareAccelerated} / {Avx512F.IsSupported}");
        table.Add("Vector256 accelerated / Avx2 / Fma", $"{Vector256.IsHardwareAccelerated} / {Avx2.IsSupported} / {Fma.IsSupported}");
        table.Add("Vector<float>.Count", Vector<float>.Count.ToString());
        table.Add("Kernel instruction set", KernelPath.Detected.ToString());
        table.Add("Microsoft.ML", VersionOf(typeof(MLContext).Assembly));
        table.Add("Backprop.MLNet", VersionOf(typeof(BackpropTrainer).Assembly));
        table.Add("Build", IsOptimized() ? "Release (optimized)" : "NOT OPTIMIZED (Debug build): timings are meaningless");
        table.Add("Command", $"{options.Workload}, threads {(options.Threads?.ToString() ?? $"all ({Environment.ProcessorCount})")}, " +
            $"epochs {(options.Epochs?.ToString() ?? "default")}");
        table.Add("Arguments", string.Join(' ', options.Arguments));
        table.Print();
    }

    /// <summary>The CPU's model name from /proc/cpuinfo, or "unknown".</summary>
    /// <returns>The name.</returns>
    internal static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo))
        {
            return "unknown";
        }

        string? line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
    }

    private static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";

    private static bool IsOptimized()
    {
        var debuggable = typeof(BackpropTrainer).Assembly.GetCustomAttribute<System.Diagnostics.DebuggableAttribute>();
        return debuggable is null || !debuggable.IsJITOptimizerDisabled;
    }
}
