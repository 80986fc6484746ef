using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// Chooses how each matrix kernel cuts up its work on this machine: at the first product of a kind, path, thread count
/// and size class in the process, it times every candidate shape (<see cref="GemmShape.Candidates"/>,
/// <see cref="DotShape.Candidates"/>) on that very product, cut down to at most <see cref="MaximumTimedWork"/>
/// multiply–adds, keeps the fastest and remembers it for the rest of the process.
/// </summary>
/// <remarks>
/// <para>
/// The shapes only vary what does not change any output's summation order (see <see cref="GemmShape"/> and
/// <see cref="DotShape"/>), so results are bit-identical whichever shape wins: the tuner makes the speed, never the
/// bits, depend on timings. Tests force every candidate and compare bits (<see cref="Force(GemmShape)"/>).
/// </para>
/// <para>
/// Bounds: products under <see cref="MinimumTunedWork"/> keep the default (their shape hardly matters); a size class
/// costs at most <see cref="RunsPerCandidate"/> runs per candidate and stops early after <see cref="ClassBudgetMilliseconds"/>;
/// the whole process spends at most <see cref="ProcessBudgetMilliseconds"/>, after which new classes keep the default.
/// The timed runs overwrite only the output the product is about to overwrite anyway.
/// </para>
/// <para>
/// Setting the environment variable <see cref="EnvironmentVariable"/> to <c>off</c> (or <c>0</c>, <c>false</c>) before
/// the first product pins the defaults, the shapes the kernels used before the tuner existed; any value other than
/// those and <c>on</c>, <c>1</c>, <c>true</c> is refused (an <see cref="InvalidOperationException"/> whenever a product
/// starts), never repaired.
/// </para>
/// </remarks>
internal static class KernelTuner
{
    /// <summary>The environment variable that turns tuning off.</summary>
    public const string EnvironmentVariable = "BACKPROP_MLNET_KERNEL_TUNING";

    /// <summary>Products smaller than this (≈ 30 µs of work) keep the default shape.</summary>
    internal const long MinimumTunedWork = 1L << 21;

    /// <summary>
    /// Multiply–adds a timed run is cut down to (≈ 0.1–0.5 ms): FMNIST's largest product (128 × 784 × 256) is timed
    /// whole, so 8 candidates × 3 runs cost ≈ 5 ms.
    /// </summary>
    internal const long MaximumTimedWork = 1L << 25;

    /// <summary>Runs of each candidate: the first warms caches and is not counted, the fastest of the others is kept.</summary>
    internal const int RunsPerCandidate = 3;

    /// <summary>Time after which a size class stops trying further candidates.</summary>
    internal const int ClassBudgetMilliseconds = 30;

    /// <summary>Tuning time per process after which new size classes keep the default.</summary>
    internal const int ProcessBudgetMilliseconds = 300;

    /// <summary>A candidate must be this much faster than the best so far to replace it (the default is timed first).</summary>
    private const double Margin = 0.97;

    private static readonly ConcurrentDictionary<TuningKey, GemmShape> s_gemm = new();
    private static readonly ConcurrentDictionary<TuningKey, DotShape> s_dot = new();
    private static readonly ConcurrentDictionary<TuningKey, string> s_log = new();
    private static long s_spentTicks;

    [ThreadStatic]
    private static GemmShape? t_forcedGemm;

    [ThreadStatic]
    private static DotShape? t_forcedDot;

    [ThreadStatic]
    private static bool? t_forcedEnabled;

    [ThreadStatic]
    private static int t_timedRuns;

    /// <summary>What the environment variable said when this class was first used: on/off, or why it was refused.</summary>
    private static readonly (bool? Enabled, string? Error) s_environment = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>False when <see cref="EnvironmentVariable"/> turned tuning off for this process.</summary>
    public static bool Enabled => s_environment.Enabled ?? true;

    /// <summary>Whether products started on this thread may be tuned: <see cref="Enabled"/> unless a test forced it.</summary>
    /// <exception cref="InvalidOperationException">The environment variable holds something other than on or off.</exception>
    public static bool EnabledOnCurrentThread
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get
        {
            if (t_forcedEnabled is { } forced)
            {
                return forced;
            }

            return s_environment.Error is { } error ? throw new InvalidOperationException(error) : Enabled;
        }
    }

    /// <summary>Kernel runs the tuner has made on the calling thread (for tests of its bounds).</summary>
    internal static int RunsOnCurrentThread => t_timedRuns;

    /// <summary>Wall-clock time this process has spent tuning, all threads together (for benchmarks).</summary>
    internal static double SpentMilliseconds => Interlocked.Read(ref s_spentTicks) * 1000.0 / Stopwatch.Frequency;

    /// <summary>One line per size class tuned so far: what was picked and the times (for benchmarks and tests; nothing is printed).</summary>
    internal static IReadOnlyList<string> Choices => [.. s_log.Values.Order(StringComparer.Ordinal)];

    /// <summary>Reads the environment variable's value: unset or empty means on; else on, off, true, false, 1 or 0.</summary>
    /// <param name="text">The variable's value, or null when it is not set.</param>
    /// <returns>Whether to tune (null when refused), or the message that refuses the value.</returns>
    internal static (bool? Enabled, string? Error) Parse(string? text)
    {
        string value = text?.Trim() ?? "";
        if (value.Length == 0 || value == "1" || value.Equals("on", StringComparison.OrdinalIgnoreCase) || value.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return (true, null);
        }

        if (value == "0" || value.Equals("off", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return (false, null);
        }

        return (null, $"The environment variable {EnvironmentVariable} is '{text}'; it must be off (the kernels' default shapes, " +
            "no timing) or on (time the candidate shapes at first use). Unset it to tune.");
    }

    /// <summary>The shape for a broadcast product: forced, remembered, default or tuned now.</summary>
    /// <param name="kernel">Which kernel asks.</param>
    /// <param name="problem">The product (sizes and path set, not planned).</param>
    /// <param name="threads">Threads it will run on.</param>
    /// <param name="enabled">Whether tuning is allowed (<see cref="EnabledOnCurrentThread"/>).</param>
    /// <returns>The shape to plan the product with.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmShape ShapeFor(TunedKernel kernel, in PanelGemmProblem problem, int threads, bool enabled)
    {
        if (t_forcedGemm is { } forced)
        {
            return forced;
        }

        GemmShape fallback = GemmShape.Default(problem.Isa);
        if (!enabled || problem.Work < MinimumTunedWork)
        {
            return fallback;
        }

        var key = TuningKey.Of(kernel, problem.Isa, threads, problem.M, problem.N, problem.K);
        return s_gemm.TryGetValue(key, out GemmShape shape)
            ? shape
            : s_gemm.GetOrAdd(key, Tune(key, problem, GemmShape.Candidates(problem.Isa), threads));
    }

    /// <summary>The shape for a forward product: forced, remembered, default or tuned now.</summary>
    /// <param name="problem">The product (sizes and path set, not planned).</param>
    /// <param name="threads">Threads it will run on.</param>
    /// <param name="enabled">Whether tuning is allowed (<see cref="EnabledOnCurrentThread"/>).</param>
    /// <returns>The shape to plan the product with.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DotShape ShapeFor(in ForwardProblem problem, int threads, bool enabled)
    {
        if (t_forcedDot is { } forced)
        {
            return forced;
        }

        DotShape fallback = DotShape.Default(problem.Isa);
        if (!enabled || problem.Work < MinimumTunedWork)
        {
            return fallback;
        }

        var key = TuningKey.Of(TunedKernel.Forward, problem.Isa, threads, problem.Rows, problem.Outputs, problem.Inputs);
        return s_dot.TryGetValue(key, out DotShape shape)
            ? shape
            : s_dot.GetOrAdd(key, Tune(key, problem, DotShape.Candidates(problem.Isa), threads));
    }

    /// <summary>Makes broadcast products started on this thread use <paramref name="shape"/> until disposed (tests).</summary>
    /// <param name="shape">One of <see cref="GemmShape.Candidates"/> for the path in use.</param>
    /// <returns>A scope that restores the previous choice.</returns>
    internal static ForcedScope Force(GemmShape shape)
    {
        var scope = new ForcedScope(t_forcedGemm, t_forcedDot, t_forcedEnabled);
        t_forcedGemm = shape;
        return scope;
    }

    /// <summary>Makes forward products started on this thread use <paramref name="shape"/> until disposed (tests).</summary>
    /// <param name="shape">One of <see cref="DotShape.Candidates"/> for the path in use.</param>
    /// <returns>A scope that restores the previous choice.</returns>
    internal static ForcedScope Force(DotShape shape)
    {
        var scope = new ForcedScope(t_forcedGemm, t_forcedDot, t_forcedEnabled);
        t_forcedDot = shape;
        return scope;
    }

    /// <summary>Turns tuning on or off for products started on this thread until disposed, whatever the environment says (tests).</summary>
    /// <param name="enabled">Whether to tune.</param>
    /// <returns>A scope that restores the previous setting.</returns>
    internal static ForcedScope ForceTuning(bool enabled)
    {
        var scope = new ForcedScope(t_forcedGemm, t_forcedDot, t_forcedEnabled);
        t_forcedEnabled = enabled;
        return scope;
    }

    /// <summary>Times every candidate on (a cut-down copy of) <paramref name="problem"/> and returns the fastest.</summary>
    private static TShape Tune<TProblem, TShape>(TuningKey key, TProblem problem, TShape[] candidates, int threads)
        where TProblem : struct, ITunableProblem<TShape>
        where TShape : struct
    {
        TShape best = candidates[0];
        if (Interlocked.Read(ref s_spentTicks) > ProcessBudgetMilliseconds * Stopwatch.Frequency / 1000)
        {
            return best;
        }

        problem.LimitWork(MaximumTimedWork);
        long started = Stopwatch.GetTimestamp();
        long budget = ClassBudgetMilliseconds * Stopwatch.Frequency / 1000;
        long bestTicks = long.MaxValue, defaultTicks = 0;
        int runs = 0;
        foreach (TShape candidate in candidates)
        {
            if (runs > 0 && Stopwatch.GetTimestamp() - started > budget)
            {
                break;
            }

            problem.Plan(candidate);
            long fastest = long.MaxValue;
            for (int run = 0; run < RunsPerCandidate; run++)
            {
                long start = Stopwatch.GetTimestamp();
                KernelRunner.Run(problem, threads);
                long ticks = Stopwatch.GetTimestamp() - start;
                fastest = run == 0 ? fastest : Math.Min(fastest, ticks);
                runs++;
                t_timedRuns++;
            }

            defaultTicks = runs == RunsPerCandidate ? fastest : defaultTicks;
            if (fastest < bestTicks * Margin)
            {
                best = candidate;
                bestTicks = fastest;
            }
        }

        Interlocked.Add(ref s_spentTicks, Stopwatch.GetTimestamp() - started);
        double microseconds = 1e6 / Stopwatch.Frequency;
        s_log.TryAdd(key, $"{key}: {best} ({bestTicks * microseconds:F0} µs; default {defaultTicks * microseconds:F0} µs; {runs} runs of {problem.Work:N0} multiply-adds)");
        return best;
    }

    /// <summary>Restores the previously forced shapes and setting when disposed.</summary>
    internal readonly struct ForcedScope(GemmShape? gemm, DotShape? dot, bool? enabled) : IDisposable
    {
        /// <summary>Restores the previous choices.</summary>
        public void Dispose()
        {
            t_forcedGemm = gemm;
            t_forcedDot = dot;
            t_forcedEnabled = enabled;
        }
    }

    /// <summary>A size class: each dimension rounded up to a power of two (stored as its exponent).</summary>
    private readonly record struct TuningKey(TunedKernel Kernel, KernelIsa Isa, int Threads, int LogM, int LogN, int LogK)
    {
        public static TuningKey Of(TunedKernel kernel, KernelIsa isa, int threads, int m, int n, int k) =>
            new(kernel, isa, Math.Clamp(threads, 1, Environment.ProcessorCount), Log(m), Log(n), Log(k));

        public override string ToString() =>
            $"{Kernel} {Isa} {Threads} thread{(Threads > 1 ? "s" : "")} ≤{1 << LogM}×{1 << LogN}×{1 << LogK}";

        private static int Log(int size) => size <= 1 ? 0 : BitOperations.Log2((uint)(size - 1)) + 1;
    }
}
