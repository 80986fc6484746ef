using System.Globalization;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The runs of one case of the stream workload (one source and DataCaching, run <c>--repeats</c> times, each in its own child
/// process) and their summary: medians over the completed runs, so that one run slowed by a busy spell of the machine does not
/// decide a figure, and the spread alongside.
/// </summary>
/// <param name="runs">The runs, in the order they ran.</param>
internal sealed class CaseRuns(IReadOnlyList<StreamRunResult> runs)
{
    /// <summary>The runs, in the order they ran.</summary>
    public IReadOnlyList<StreamRunResult> Runs => runs;

    /// <summary>The first run (for what every run shares: source, caching, rows).</summary>
    public StreamRunResult First => runs[0];

    /// <summary>Runs that completed, with epoch times.</summary>
    public IReadOnlyList<StreamRunResult> Completed => runs.Where(r => r.Failure is null && r.EpochSeconds.Length > 0).ToList();

    /// <summary>"completed/all", e.g. "3/3".</summary>
    public string Count => $"{Completed.Count}/{runs.Count}";

    /// <summary>The median over the completed runs of the first epoch's seconds.</summary>
    public double? FirstEpoch => Median(r => r.EpochSeconds[0]);

    /// <summary>The median over the completed runs of the mean of the later epochs (<see cref="StreamRunResult.MeanLaterEpochSeconds"/>).</summary>
    public double? MeanLaterEpochs => Median(r => r.MeanLaterEpochSeconds!.Value);

    /// <summary>The median over the completed runs of the mean of all epochs.</summary>
    public double? MeanAllEpochs => Median(r => r.EpochSeconds.Average());

    /// <summary>The median over the completed runs of Fit's seconds.</summary>
    public double? Fit => Median(r => r.FitSeconds);

    /// <summary>The median over the completed runs of Fit's seconds outside the epochs.</summary>
    public double? Setup => Median(r => r.SetupSeconds ?? double.NaN);

    /// <summary>The median over the completed runs of the training rows per second.</summary>
    public double? RowsPerSecond => Median(r => r.RowsPerSecond!.Value);

    /// <summary>The largest peak working set of the runs.</summary>
    public long PeakWorkingSet => runs.Max(r => r.PeakWorkingSet);

    /// <summary>The mean test accuracy of the completed runs.</summary>
    public double? Accuracy => Completed.Count == 0 ? null : Completed.Average(r => r.TestAccuracy ?? double.NaN);

    /// <summary>The lowest to the highest mean of the later epochs, e.g. "0.41–0.47", or "-" with fewer than two runs.</summary>
    public string LaterEpochsSpread => Completed.Count < 2 ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{Completed.Min(r => r.MeanLaterEpochSeconds)!.Value:F2}–{Completed.Max(r => r.MeanLaterEpochSeconds)!.Value:F2}");

    /// <summary>The mean test accuracy, and the lowest to the highest when the runs differ, e.g. "0.8730" or "0.8730 (0.8712–0.8745)".</summary>
    public string AccuracyText
    {
        get
        {
            IReadOnlyList<StreamRunResult> done = Completed;
            if (done.Count == 0)
            {
                return "-";
            }

            double low = done.Min(r => r.TestAccuracy ?? double.NaN), high = done.Max(r => r.TestAccuracy ?? double.NaN);
            return string.Create(CultureInfo.InvariantCulture, $"{Accuracy:F4}") +
                (low == high ? "" : string.Create(CultureInfo.InvariantCulture, $" ({low:F4}–{high:F4})"));
        }
    }

    /// <summary>
    /// Runs every case <paramref name="repeats"/> times, the cases taking turns (case 1, case 2, …, case 1, case 2, …), so that
    /// a busy spell of the machine falls on all of them rather than on one.
    /// </summary>
    /// <param name="repeats">Runs per case, at least 1.</param>
    /// <param name="cases">Each case's run.</param>
    /// <returns>Each case's runs, in the order of <paramref name="cases"/>.</returns>
    public static CaseRuns[] TakeTurns(int repeats, IReadOnlyList<Func<StreamRunResult>> cases) =>
        TakeTurns(repeats, cases.Select(c => (Func<int, StreamRunResult>)(_ => c())).ToList());

    /// <summary>Runs every case <paramref name="repeats"/> times, the cases taking turns; each run is told its round (0, 1, …).</summary>
    /// <param name="repeats">Rounds.</param>
    /// <param name="cases">The cases, each a run from its round.</param>
    /// <returns>Each case's runs, in the order of <paramref name="cases"/>.</returns>
    public static CaseRuns[] TakeTurns(int repeats, IReadOnlyList<Func<int, StreamRunResult>> cases)
    {
        var runs = cases.Select(_ => new List<StreamRunResult>()).ToArray();
        for (int repeat = 0; repeat < repeats; repeat++)
        {
            for (int c = 0; c < cases.Count; c++)
            {
                if (repeats > 1)
                {
                    Console.WriteLine($"Round {repeat + 1} of {repeats}, case {c + 1} of {cases.Count}:");
                }

                runs[c].Add(cases[c](repeat));
            }
        }

        return runs.Select(r => new CaseRuns(r)).ToArray();
    }

    private double? Median(Func<StreamRunResult, double> value)
    {
        IReadOnlyList<StreamRunResult> done = Completed;
        return done.Count == 0 ? null : Stats.Median(done.Select(value).ToArray());
    }
}
