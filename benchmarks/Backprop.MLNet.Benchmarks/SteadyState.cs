using System.Runtime;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// Untimed runs until the runtime's tiered compilation has settled: the JIT replaces quickly compiled code with optimised
/// code in batches, for ML.NET's cursors and getters as much as for this library, on a background thread that competes
/// with the timed code for the cores (measured on FMNIST scoring: ~1,100 methods and ~0.65 s of compilation between the
/// 10th and the 130th pass, in bursts with pauses of up to 10 passes). A timed figure taken before that is a warm-up
/// figure, not a steady-state one.
/// </summary>
internal static class SteadyState
{
    /// <summary>Runs <paramref name="run"/> until <paramref name="quietRuns"/> runs in a row compiled nothing new.</summary>
    /// <param name="run">One untimed run.</param>
    /// <param name="minimumRuns">Runs made whatever the JIT does.</param>
    /// <param name="maximumRuns">Runs after which it stops even if the JIT is still busy.</param>
    /// <param name="quietRuns">Runs in a row without a newly compiled method that count as settled.</param>
    /// <returns>The runs made and how many of the last ones compiled nothing new.</returns>
    public static (int Runs, int Quiet) WarmUp(Action run, int minimumRuns = 10, int maximumRuns = 400, int quietRuns = 30)
    {
        int runs = 0, quiet = 0;
        long compiled = JitInfo.GetCompiledMethodCount();
        while (runs < maximumRuns && (runs < minimumRuns || quiet < quietRuns))
        {
            run();
            runs++;
            long now = JitInfo.GetCompiledMethodCount();
            quiet = now == compiled ? quiet + 1 : 0;
            compiled = now;
        }

        return (runs, Math.Min(quiet, runs));
    }
}
