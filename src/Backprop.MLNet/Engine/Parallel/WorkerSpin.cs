using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Parallel;

/// <summary>
/// How long a thread waiting in <see cref="KernelWorkerPool"/> spins before it blocks: a worker waiting for the next job
/// and the caller waiting for the workers. Spinning makes the next job cheap to start (training's kernel calls follow one
/// another within microseconds); blocking leaves the core to others (a server that scores a row every few milliseconds).
/// </summary>
/// <remarks>
/// <para>The spin is bounded in time, whatever the machine's load: at most <see cref="TrainingMicroseconds"/> after a job
/// dispatched by training, at most <see cref="ScoringMicroseconds"/> after one dispatched by prediction (a one-row
/// <c>PredictionEngine.Predict</c> splitting a wide first layer; see <see cref="Scoring"/>). While it spins, a thread
/// yields its core to any other runnable thread (<see cref="SpinWait.SpinOnce(int)"/> without sleeping), so spinning
/// hardly delays anyone; it uses a core nobody else wanted, and that is what a lightly loaded server sees as CPU time.</para>
/// <para>The environment variable <see cref="EnvironmentVariable"/>, read once per process, sets both bounds to one value
/// from 0 (block at once) to <see cref="MaximumMicroseconds"/>. A value that is not such a number is refused whenever a job
/// is to be split (<see cref="TicksForCurrentThread"/> throws), never repaired.</para>
/// <para>Why these defaults. Before this setting, a wait spun 2,000 <see cref="SpinWait"/> iterations: about 1.7 ms on an
/// idle 2-core machine, and up to 25 ms on a busy one (each iteration is a yield). Training's kernel calls come microseconds
/// apart, so a 1,000 µs bound keeps every one of them as cheap as before; the spin only ends sooner in longer pauses (the
/// end of an epoch), where one wake-up costs nothing measurable. Prediction's jobs come as far apart as the rows do: 50 µs
/// covers rows scored back to back (a one-row prediction takes a few µs) and costs a server that scores a row every
/// few milliseconds a few per cent of a core, instead of the whole core it cost before.</para>
/// </remarks>
internal static class WorkerSpin
{
    /// <summary>The environment variable that sets both bounds, in microseconds.</summary>
    public const string EnvironmentVariable = "BACKPROP_MLNET_SPIN_MICROSECONDS";

    /// <summary>The spin after a training job when the environment variable is not set, in microseconds.</summary>
    public const int DefaultTrainingMicroseconds = 1_000;

    /// <summary>The spin after a prediction job when the environment variable is not set, in microseconds.</summary>
    public const int DefaultScoringMicroseconds = 50;

    /// <summary>The largest spin accepted: one second.</summary>
    public const int MaximumMicroseconds = 1_000_000;

    /// <summary>Backs <see cref="Scoring"/>: true while the thread predicts.</summary>
    [ThreadStatic]
    private static bool t_scoring;

    /// <summary>What the environment variable said when this class was first used: its value, or why it was refused.</summary>
    private static readonly (int? Microseconds, string? Error) s_environment = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    private static int s_trainingMicroseconds = s_environment.Microseconds ?? DefaultTrainingMicroseconds;
    private static int s_scoringMicroseconds = s_environment.Microseconds ?? DefaultScoringMicroseconds;

    /// <summary>The spin after a job dispatched by training (tests set it; the environment variable sets it for a process).</summary>
    /// <value>0 to <see cref="MaximumMicroseconds"/>; default <see cref="DefaultTrainingMicroseconds"/>.</value>
    public static int TrainingMicroseconds
    {
        get => Volatile.Read(ref s_trainingMicroseconds);
        set => Volatile.Write(ref s_trainingMicroseconds, Checked(value));
    }

    /// <summary>The spin after a job dispatched while predicting (tests set it; the environment variable sets it for a process).</summary>
    /// <value>0 to <see cref="MaximumMicroseconds"/>; default <see cref="DefaultScoringMicroseconds"/>.</value>
    public static int ScoringMicroseconds
    {
        get => Volatile.Read(ref s_scoringMicroseconds);
        set => Volatile.Write(ref s_scoringMicroseconds, Checked(value));
    }

    /// <summary>
    /// The spin, in <see cref="Stopwatch"/> ticks, for a job the calling thread dispatches now: the scoring bound inside
    /// <see cref="Scoring"/>, else the training bound.
    /// </summary>
    /// <exception cref="InvalidOperationException">The environment variable holds something other than a spin in range.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long TicksForCurrentThread()
    {
        if (s_environment.Error is { } error)
        {
            throw new InvalidOperationException(error);
        }

        int microseconds = t_scoring ? ScoringMicroseconds : TrainingMicroseconds;
        return microseconds * Stopwatch.Frequency / 1_000_000;
    }

    /// <summary>Marks the calling thread's jobs as prediction until the scope is disposed.</summary>
    /// <returns>A scope that restores the previous marking when disposed.</returns>
    public static ScoringScope Scoring()
    {
        bool previous = t_scoring;
        t_scoring = true;
        return new ScoringScope(previous);
    }

    /// <summary>Reads the environment variable's value: null or empty means unset; else a whole number in range.</summary>
    /// <param name="text">The variable's value, or null when it is not set.</param>
    /// <returns>The microseconds (null when unset), or the message that refuses the value.</returns>
    internal static (int? Microseconds, string? Error) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, null);
        }

        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int microseconds) && microseconds <= MaximumMicroseconds)
        {
            return (microseconds, null);
        }

        return (null, $"The environment variable {EnvironmentVariable} is '{text}'; it must be a whole number of microseconds " +
            $"from 0 (threads block at once) to {MaximumMicroseconds.ToString(CultureInfo.InvariantCulture)}. Unset it for the defaults " +
            $"({DefaultTrainingMicroseconds.ToString(CultureInfo.InvariantCulture)} µs after a training job, {DefaultScoringMicroseconds} µs after a prediction).");
    }

    private static int Checked(int microseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(microseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(microseconds, MaximumMicroseconds);
        return microseconds;
    }

    /// <summary>Restores the calling thread's previous marking (see <see cref="Scoring"/>).</summary>
    /// <param name="previous">The marking before the scope.</param>
    internal readonly struct ScoringScope(bool previous) : IDisposable
    {
        /// <summary>Restores the previous marking.</summary>
        public void Dispose() => t_scoring = previous;
    }
}
