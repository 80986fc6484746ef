namespace Backprop.MLNet.Engine.Optimizers;

/// <summary>
/// What an optimizer must remember between steps, as plain arrays: SGD keeps one buffer (the velocity),
/// Adam two (first and second moments) and its step count. Saved with a model for an exact warm start.
/// </summary>
/// <param name="Optimizer">The optimizer the state belongs to.</param>
/// <param name="Buffers">One array per kind of state, each as long as the parameter vector.</param>
/// <param name="Steps">The number of steps taken (Adam's bias correction uses it); 0 for SGD.</param>
internal sealed record OptimizerState(OptimizerKind Optimizer, float[][] Buffers, long Steps)
{
    /// <summary>Throws unless this state was made by an optimizer of <paramref name="optimizer"/> with <paramref name="parameterCount"/> parameters.</summary>
    public void CheckFits(OptimizerKind optimizer, int bufferCount, int parameterCount)
    {
        if (Optimizer != optimizer || Buffers.Length != bufferCount || Buffers.Any(b => b.Length != parameterCount) || Steps < 0)
        {
            throw new ArgumentException(
                $"The optimizer state is for {Optimizer} with {Buffers.Length} buffers of [{string.Join(", ", Buffers.Select(b => b.Length))}] values; " +
                $"this optimizer is {optimizer} with {bufferCount} buffers of {parameterCount} values.");
        }
    }
}
