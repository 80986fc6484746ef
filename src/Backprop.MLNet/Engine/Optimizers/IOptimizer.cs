namespace Backprop.MLNet.Engine.Optimizers;

/// <summary>
/// A first-order parameter update rule. Implementations keep their state in <see cref="float"/>
/// arrays sized once (so it can be saved with a model for an exact warm start) and allocate
/// nothing per step.
/// </summary>
internal interface IOptimizer
{
    /// <summary>Number of parameters this optimizer was created for.</summary>
    int ParameterCount { get; }

    /// <summary>Applies one update to <paramref name="parameters"/> in place.</summary>
    /// <param name="parameters">The parameters to update (length <see cref="ParameterCount"/>).</param>
    /// <param name="gradient">The gradient of the loss at <paramref name="parameters"/> (same length).</param>
    /// <param name="learningRate">The current learning rate (for Adam, the base rate lr₀).</param>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradient, double learningRate);

    /// <summary>
    /// A lazy step: applies one update to the parameters of <paramref name="subset"/> only, exactly as
    /// <see cref="Step(Span{float}, ReadOnlySpan{float}, double)"/> would to those elements; the others, and their state,
    /// are left as they are (the step still counts, e.g. for Adam's bias correction).
    /// </summary>
    /// <param name="parameters">The parameters to update (length <see cref="ParameterCount"/>).</param>
    /// <param name="gradient">The gradient; only its elements in <paramref name="subset"/> are read.</param>
    /// <param name="learningRate">The current learning rate.</param>
    /// <param name="subset">The elements to update.</param>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradient, double learningRate, ParameterSubset subset);

    /// <summary>
    /// A step from a raw gradient, finished by <paramref name="finish"/>: the bits of
    /// <see cref="Step(Span{float}, ReadOnlySpan{float}, double)"/> on the finished gradient. This default finishes the
    /// gradient in place first; an optimizer may finish it within its own pass instead.
    /// </summary>
    /// <param name="parameters">The parameters to update (length <see cref="ParameterCount"/>).</param>
    /// <param name="rawGradient">The raw gradient (same length); it may be overwritten.</param>
    /// <param name="learningRate">The current learning rate.</param>
    /// <param name="finish">How the raw gradient becomes the gradient.</param>
    void Step(Span<float> parameters, Span<float> rawGradient, double learningRate, in RawGradient finish)
    {
        finish.FinishInPlace(rawGradient, parameters);
        Step(parameters, rawGradient, learningRate);
    }

    /// <summary>Forgets all accumulated state (velocities, moments, step count).</summary>
    void Reset();

    /// <summary>
    /// The optimizer's state (SGD: the velocity; Adam: both moments and the step count), so that a saved model can resume
    /// training exactly where it stopped. The buffers are the optimizer's own, not copies (a network's worth of floats
    /// each): take the state when training ends; a later step would change it.
    /// </summary>
    OptimizerState GetState();

    /// <summary>Restores a state returned by <see cref="GetState"/> from an optimizer of the same kind and size.</summary>
    /// <param name="state">The state to copy in.</param>
    void SetState(OptimizerState state);
}
