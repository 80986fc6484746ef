using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Engine.Inference;

/// <summary>
/// Whether one row predicted alone is split over several threads or kept on the caller, chosen by timing both on this
/// machine: the first <see cref="WarmupCalls"/> calls split as allowed, the next 2 × <see cref="SamplesPerChoice"/>
/// alternate between one thread and the allowed threads and are timed, and the faster (by median) is kept for the rest of
/// the model's life. The bits are the same either way (<see cref="PackedNetwork"/>); only the latency depends on it.
/// </summary>
/// <remarks>
/// Splitting a row's wide first layer pays where the other core is idle and waking it is cheap; measured on this project's
/// Zen 5 machine, FMNIST's 784-256-128-10 row took 8.3 µs through <c>PredictionEngine</c> split over 2 threads and 6.0 µs
/// kept on the caller, the opposite of the Zen 4 machine the split was tuned on. With kernel tuning off
/// (<see cref="KernelTuner.EnvironmentVariable"/>) a row is split as allowed, as before this choice existed. Thread-safe:
/// calls from several threads (several prediction engines on one model) share the calls and the samples; a sample taken
/// while another thread was measuring too is as good as any under load, and a choice is made once.
/// </remarks>
internal sealed class OneRowSplit
{
    /// <summary>Calls before timing starts (the code is compiled and the caches warm by then).</summary>
    internal const int WarmupCalls = 64;

    /// <summary>Timed calls of each choice.</summary>
    internal const int SamplesPerChoice = 64;

    private readonly long[] _alone = new long[SamplesPerChoice];
    private readonly long[] _split = new long[SamplesPerChoice];
    private readonly bool _tuning;
    private long _calls;

    /// <summary>0 until chosen, then 1 (keep rows on the caller) or 2 (split as allowed).</summary>
    private volatile int _choice;

    /// <summary>Creates the chooser.</summary>
    /// <param name="tuning">Whether to time and choose; false splits as allowed, always.</param>
    public OneRowSplit(bool tuning)
    {
        _tuning = tuning;
    }

    /// <summary>Creates the chooser that times when kernel tuning is on for this process.</summary>
    public OneRowSplit()
        : this(KernelTuner.Enabled)
    {
    }

    /// <summary>Null until the choice is made; then whether a row is kept on the caller.</summary>
    public bool? KeepsRowsOnCaller => _choice switch { 1 => true, 2 => false, _ => null };

    /// <summary>Starts a call: the threads to use and, while timing, which sample it is.</summary>
    /// <param name="allowed">Threads allowed (the model's scoring threads).</param>
    /// <param name="sample">−1 when this call is not timed; else its index among the timed calls.</param>
    /// <returns>The threads to run the row on.</returns>
    public int Begin(int allowed, out long sample)
    {
        sample = -1;
        if (allowed <= 1 || !_tuning)
        {
            return allowed;
        }

        int choice = _choice;
        if (choice != 0)
        {
            return choice == 1 ? 1 : allowed;
        }

        long call = Interlocked.Increment(ref _calls) - 1 - WarmupCalls;
        if (call < 0 || call >= 2L * SamplesPerChoice)
        {
            return allowed;
        }

        sample = call;
        return call % 2 == 0 ? 1 : allowed;
    }

    /// <summary>Ends a timed call (<paramref name="sample"/> ≥ 0) with its duration; the last one makes the choice.</summary>
    /// <param name="sample">The index <see cref="Begin"/> gave.</param>
    /// <param name="ticks">The call's duration in <see cref="System.Diagnostics.Stopwatch"/> ticks.</param>
    public void End(long sample, long ticks)
    {
        if (sample < 0)
        {
            return;
        }

        (sample % 2 == 0 ? _alone : _split)[sample / 2] = ticks;
        if (sample == (2L * SamplesPerChoice) - 1)
        {
            // Taken by the call that ends the timing; ties keep the row on the caller (the other core stays free).
            _choice = Median(_alone) <= Median(_split) ? 1 : 2;
        }
    }

    /// <summary>
    /// The median of the samples taken (one another thread has not recorded yet, still 0, is left out); sorts them in place
    /// and allocates nothing (the choice is made during a prediction).
    /// </summary>
    private static long Median(long[] samples)
    {
        Array.Sort(samples);
        int missing = 0;
        while (missing < samples.Length && samples[missing] <= 0)
        {
            missing++;
        }

        return missing == samples.Length ? long.MaxValue : samples[missing + ((samples.Length - missing) / 2)];
    }
}
