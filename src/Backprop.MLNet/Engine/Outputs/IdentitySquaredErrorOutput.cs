using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// Identity outputs trained with the squared error (regression, scikit-learn's <c>MLPRegressor</c>).
/// Per row: ℓ = ½·Σ_j (ŷ_j − y_j)², δ_j = ŷ_j − y_j. (scikit-learn additionally divides its
/// reported loss, but not its gradient, by the number of outputs; here loss and gradient agree.)
/// </summary>
internal sealed class IdentitySquaredErrorOutput : OutputLayer
{
    /// <summary>The shared instance.</summary>
    public static readonly IdentitySquaredErrorOutput Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private IdentitySquaredErrorOutput()
    {
    }

    /// <inheritdoc />
    public override OutputKind Kind => OutputKind.Identity;

    /// <inheritdoc />
    public override int TargetWidth(int outputSize) => outputSize;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Activate(ReadOnlySpan<float> logits, Span<float> outputs, int width) => logits.CopyTo(outputs);

    /// <inheritdoc />
    public override bool ActivatesRowByRow => true;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double RowLossAndDelta(ReadOnlySpan<float> logits, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, Span<float> delta)
    {
        double loss = 0;
        for (int j = 0; j < outputs.Length; j++)
        {
            double error = (double)outputs[j] - targets[j];
            loss += error * error;
            delta[j] = outputs[j] - targets[j];
        }

        return 0.5 * loss;
    }
}
