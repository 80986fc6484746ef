namespace Backprop.MLNet.Engine.Lbfgs;

/// <summary>
/// A differentiable objective for <see cref="LbfgsMinimizer"/>: returns f(θ) and writes ∇f(θ) into
/// <paramref name="gradient"/>. A NaN or infinite return value (or gradient) marks θ as outside the
/// region where the objective can be evaluated; the minimiser then takes a shorter step.
/// </summary>
/// <param name="parameters">The point θ to evaluate; must not be kept after the call (the buffer is reused).</param>
/// <param name="gradient">Destination for ∇f(θ), same length as <paramref name="parameters"/>; every element must be overwritten.</param>
/// <returns>The objective value f(θ).</returns>
internal delegate double LossAndGradient(ReadOnlySpan<float> parameters, Span<float> gradient);
