using System.Diagnostics;
using System.Reflection;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// Runs this benchmark program again as a child process (so that a measurement such as the peak working set is the
/// child's alone) and collects its output.
/// </summary>
internal static class ChildProcess
{
    /// <summary>What a child did.</summary>
    /// <param name="ExitCode">The exit code (on Linux, 128 + the signal number when a signal killed it).</param>
    /// <param name="StandardOutput">Its standard output, line by line.</param>
    /// <param name="StandardError">Its standard error, line by line.</param>
    /// <param name="Seconds">Wall-clock seconds from start to exit.</param>
    public sealed record Outcome(int ExitCode, IReadOnlyList<string> StandardOutput, IReadOnlyList<string> StandardError, double Seconds);

    /// <summary>
    /// Starts this program with <paramref name="arguments"/> and waits for it: the apphost executable directly, or
    /// <c>dotnet</c> with the entry assembly when the program was started as <c>dotnet Backprop.MLNet.Benchmarks.dll</c>.
    /// </summary>
    /// <param name="arguments">The command line of the child (a workload and its options).</param>
    /// <param name="environment">Variables set in the child's environment on top of this process's (e.g. a GC heap limit), or null.</param>
    /// <param name="echo">Called with each line of the child's standard output and error as it arrives, or null.</param>
    /// <returns>How it went.</returns>
    public static Outcome Run(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, Action<string>? echo = null)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this program is not known."),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(start.FileName).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("The entry assembly is not known."));
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var output = new List<string>();
        var error = new List<string>();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.Add(e.Data);
                    echo?.Invoke(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (error)
                {
                    error.Add(e.Data);
                }

                lock (output)
                {
                    echo?.Invoke(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit(); // without a timeout, this also waits for the end of both redirected streams
        return new Outcome(process.ExitCode, output, error, clock.Elapsed.TotalSeconds);
    }

    /// <summary>A short reason for a child that exited without a result: the signal that killed it, or its last error line.</summary>
    /// <param name="outcome">The child's outcome.</param>
    /// <returns>The reason.</returns>
    public static string Reason(Outcome outcome)
    {
        string? lastError = outcome.StandardError.FirstOrDefault(l => l.StartsWith("Unhandled exception", StringComparison.Ordinal))
            ?? outcome.StandardError.LastOrDefault(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith("at ", StringComparison.Ordinal)
                && !l.TrimStart().StartsWith("---", StringComparison.Ordinal));
        string exit = outcome.ExitCode switch
        {
            137 => "killed by SIGKILL (exit 137; the kernel's out-of-memory killer?)",
            134 => "aborted (exit 134)",
            _ => $"exit code {outcome.ExitCode}",
        };
        return lastError is null ? exit : $"{exit}: {lastError.Trim()}";
    }
}
