namespace Backprop.MLNet.Engine.Lbfgs;

/// <summary>
/// The objective restricted to a line, φ(α) = f(x + α·d), as seen by <see cref="WolfeLineSearch"/>.
/// </summary>
internal interface ILineFunction
{
    /// <summary>Evaluates φ(α) and its derivative φ′(α) = ∇f(x + α·d)·d.</summary>
    /// <param name="step">The step length α (&gt; 0).</param>
    /// <param name="slope">Receives φ′(α); NaN or infinite when the gradient is not finite.</param>
    /// <returns>φ(α); NaN or infinite when the objective cannot be evaluated there.</returns>
    double Evaluate(double step, out double slope);
}
