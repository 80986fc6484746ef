namespace Backprop.MLNet.Engine.Lbfgs;

/// <summary>The outcome of one <see cref="WolfeLineSearch.Search"/>.</summary>
/// <param name="Status">How the search ended.</param>
/// <param name="Step">
/// With <see cref="LineSearchStatus.Converged"/>, the accepted step α (always the last one evaluated);
/// otherwise the best step found that satisfies sufficient decrease, or 0 when there is none.
/// </param>
/// <param name="Loss">φ(<paramref name="Step"/>).</param>
/// <param name="Slope">φ′(<paramref name="Step"/>).</param>
/// <param name="Evaluations">Number of evaluations of φ the search made.</param>
internal readonly record struct LineSearchResult(LineSearchStatus Status, double Step, double Loss, double Slope, int Evaluations);
