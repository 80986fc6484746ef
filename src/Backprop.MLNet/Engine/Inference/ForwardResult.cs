namespace Backprop.MLNet.Engine.Inference;

/// <summary>What a prediction pass gives back: the outputs and the raw output logits of every row (views into the caller's scratch).</summary>
internal readonly ref struct ForwardResult
{
    /// <summary>Wraps the two views.</summary>
    /// <param name="outputs">The outputs [rows × outputs].</param>
    /// <param name="logits">The logits [rows × outputs].</param>
    public ForwardResult(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits)
    {
        Outputs = outputs;
        Logits = logits;
    }

    /// <summary>Probabilities for sigmoid/softmax outputs, values for identity outputs, [rows × outputs].</summary>
    public ReadOnlySpan<float> Outputs { get; }

    /// <summary>The output layer's z = W·a + b before its activation, [rows × outputs].</summary>
    public ReadOnlySpan<float> Logits { get; }
}
