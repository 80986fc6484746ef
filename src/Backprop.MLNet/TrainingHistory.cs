using System.Collections;

namespace Backprop.MLNet;

/// <summary>
/// The epochs of the training that produced a model, oldest first, and how that training ended.
/// Saved with the model; a warm-started model's history continues its initial model's history.
/// </summary>
public sealed class TrainingHistory : IReadOnlyList<EpochReport>
{
    private readonly EpochReport[] _reports;

    internal TrainingHistory(IEnumerable<EpochReport> reports, TrainingStopReason stopReason)
    {
        _reports = reports.ToArray();
        StopReason = stopReason;
    }

    /// <summary>Why the (last) training stopped.</summary>
    public TrainingStopReason StopReason { get; }

    /// <summary>Whether training ended by its stopping rule rather than by running out of epochs, evaluations or line-search steps.</summary>
    public bool Converged => StopReason is not (TrainingStopReason.EpochLimit or TrainingStopReason.EvaluationLimit or TrainingStopReason.LineSearchFailed);

    /// <summary>The number of epochs recorded.</summary>
    public int Count => _reports.Length;

    /// <summary>The report of the epoch at <paramref name="index"/> (0-based; its <see cref="EpochReport.Epoch"/> is 1-based).</summary>
    /// <param name="index">0 ≤ index &lt; <see cref="Count"/>.</param>
    public EpochReport this[int index] => _reports[index];

    /// <summary>Enumerates the reports, oldest first.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<EpochReport> GetEnumerator() => ((IEnumerable<EpochReport>)_reports).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
