namespace Backprop.MLNet.Tests;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its action on the training's own thread, at each report (unlike
/// <see cref="Progress{T}"/>, which posts to the synchronisation context or the thread pool, later).
/// </summary>
/// <param name="action">What to do with each epoch's report.</param>
internal sealed class ProgressCallback(Action<EpochReport> action) : IProgress<EpochReport>
{
    /// <inheritdoc />
    public void Report(EpochReport value) => action(value);
}
