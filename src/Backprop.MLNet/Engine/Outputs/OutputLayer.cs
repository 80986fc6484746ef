namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// The output activation of a <see cref="Network"/> paired with the loss it is trained with.
/// Each pairing is canonical, so the error at the output logits is always δ = ŷ − y.
/// Implementations are stateless singletons, safe to share between threads.
/// </summary>
internal abstract class OutputLayer
{
    /// <summary>The enum value this output layer implements.</summary>
    public abstract OutputKind Kind { get; }

    /// <summary>
    /// Whether <see cref="Activate"/> gives each row the same bits however the rows are grouped into calls (softmax and
    /// identity work row by row; sigmoid's vectorised routine may compute a value differently at a span's tail), so that
    /// rows may be activated in parallel groups.
    /// </summary>
    public virtual bool ActivatesRowByRow => false;

    /// <summary>Number of target values stored per row for a network with <paramref name="outputSize"/> outputs.</summary>
    /// <param name="outputSize">Number of output units.</param>
    public abstract int TargetWidth(int outputSize);

    /// <summary>
    /// Turns the raw output logits into the network outputs (probabilities or values).
    /// </summary>
    /// <param name="logits">rows × <paramref name="width"/> logits, row-major.</param>
    /// <param name="outputs">rows × <paramref name="width"/> destination; must not overlap <paramref name="logits"/>.</param>
    /// <param name="width">Number of outputs per row.</param>
    public abstract void Activate(ReadOnlySpan<float> logits, Span<float> outputs, int width);

    /// <summary>
    /// The activation training computes its loss and output error from: <see cref="Activate"/> unless an output has one of
    /// its own. Softmax and sigmoid have (on <see cref="Exponential"/>, compiled optimised at first use): their
    /// <see cref="Activate"/> keeps System.Numerics.Tensors' routines, whose bits saved models' predictions are held to,
    /// while training's first epoch is faster without them. The two are as accurate as each other (for softmax the float
    /// difference z − max dominates both) and differ in the last bits.
    /// Must give each row the same bits however rows are grouped into calls (training activates rows in parallel groups).
    /// </summary>
    /// <param name="logits">rows × <paramref name="width"/> logits, row-major.</param>
    /// <param name="outputs">rows × <paramref name="width"/> destination; must not overlap <paramref name="logits"/>.</param>
    /// <param name="width">Number of outputs per row.</param>
    public virtual void ActivateInTraining(ReadOnlySpan<float> logits, Span<float> outputs, int width) => Activate(logits, outputs, width);

    /// <summary>
    /// Computes the loss of one row and writes its output error δ = ŷ − y.
    /// </summary>
    /// <param name="logits">The row's logits (width values).</param>
    /// <param name="outputs">The row's outputs ŷ produced by <see cref="ActivateInTraining"/> (width values).</param>
    /// <param name="targets">The row's targets (<see cref="TargetWidth"/> values).</param>
    /// <param name="delta">Destination for δ = ŷ − y (width values).</param>
    /// <returns>The row's unweighted loss, in double precision.</returns>
    public abstract double RowLossAndDelta(ReadOnlySpan<float> logits, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, Span<float> delta);

    /// <summary>Returns the shared instance implementing <paramref name="kind"/>.</summary>
    /// <param name="kind">The output kind to look up.</param>
    /// <exception cref="ArgumentOutOfRangeException">Unknown enum value.</exception>
    public static OutputLayer For(OutputKind kind) => kind switch
    {
        OutputKind.Sigmoid => SigmoidCrossEntropyOutput.Instance,
        OutputKind.Softmax => SoftmaxCrossEntropyOutput.Instance,
        OutputKind.Identity => IdentitySquaredErrorOutput.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown output kind."),
    };
}
