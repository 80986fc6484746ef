using Microsoft.ML;

namespace Backprop.MLNet;

/// <summary>
/// Cancellation for ML.NET training. ML.NET's own <c>MLContext.CancelExecution()</c> is internal (only its
/// AutoML may call it); this library reaches it through the internals bridge and offers it as an extension
/// method, so <c>mlContext.CancelExecution()</c> compiles for its users too.
/// </summary>
public static class MLContextCancellation
{
    /// <summary>
    /// Asks every training running on <paramref name="mlContext"/> to stop: a running <see cref="BackpropTrainer"/>
    /// stops before its next minibatch and its <c>Fit</c> throws <see cref="OperationCanceledException"/>.
    /// The context stays cancelled; create a new <see cref="MLContext"/> to train again.
    /// </summary>
    /// <param name="mlContext">The context whose work to cancel.</param>
    public static void CancelExecution(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        mlContext.CancelExecution(); // the internal instance method (bound here because this assembly sees it as public)
    }
}
