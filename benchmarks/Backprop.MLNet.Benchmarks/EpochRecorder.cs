namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// Collects the trainer's epoch reports synchronously, on the training thread (<see cref="Progress{T}"/> would post
/// them to the thread pool, and they could arrive after <c>Fit</c> returns).
/// </summary>
internal sealed class EpochRecorder : IProgress<EpochReport>
{
    private readonly List<EpochReport> _reports = [];

    /// <summary>The reports so far, in epoch order.</summary>
    public IReadOnlyList<EpochReport> Reports => _reports;

    /// <inheritdoc/>
    public void Report(EpochReport value) => _reports.Add(value);

    /// <summary>Seconds each epoch took (<see cref="EpochReport.Elapsed"/> counts from the start of training).</summary>
    /// <returns>One value per epoch.</returns>
    public double[] EpochSeconds()
    {
        var seconds = new double[_reports.Count];
        for (int e = 0; e < _reports.Count; e++)
        {
            seconds[e] = (_reports[e].Elapsed - (e == 0 ? TimeSpan.Zero : _reports[e - 1].Elapsed)).TotalSeconds;
        }

        return seconds;
    }
}
