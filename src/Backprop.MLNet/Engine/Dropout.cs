namespace Backprop.MLNet.Engine;

/// <summary>
/// Inverted dropout on the hidden layers, for training only: each hidden unit of each row is kept with probability
/// 1 − rate and then scaled by 1 / (1 − rate), or zeroed, so that the expected activation is unchanged and the network
/// is used as it is at prediction time. The masks come from the training's seeded generator (the one that shuffles
/// the rows), so a run is repeatable and a saved training resumes exactly. Buffers are allocated once.
/// </summary>
internal sealed class Dropout
{
    private readonly SeededRandom _random;
    private readonly float[][] _masks;
    private readonly float[][] _dropped;
    private readonly float _keep;
    private readonly float _scale;

    /// <summary>Creates the masks and buffers for the hidden layers of <paramref name="network"/> and batches of up to <paramref name="maxRows"/> rows.</summary>
    /// <param name="rate">The probability of dropping a unit, in (0, 1).</param>
    /// <param name="random">The generator the masks are drawn from.</param>
    /// <param name="network">The network whose hidden layers get dropout.</param>
    /// <param name="maxRows">The largest batch.</param>
    public Dropout(double rate, SeededRandom random, Network network, int maxRows)
    {
        if (!(rate > 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in (0, 1).");
        }

        _random = random;
        _keep = (float)(1 - rate);
        _scale = 1f / _keep;
        int hidden = network.LayerCount - 1;
        _masks = new float[hidden][];
        _dropped = new float[hidden][];
        for (int l = 0; l < hidden; l++)
        {
            _masks[l] = new float[checked(maxRows * network.LayerOutputs(l))];
            _dropped[l] = new float[_masks[l].Length];
        }
    }

    /// <summary>When set, <see cref="Apply"/> reuses the masks of the previous call (tests use it to differentiate a fixed network).</summary>
    internal bool FreezeMasks { get; set; }

    /// <summary>Draws a mask for hidden layer <paramref name="layer"/> and returns the dropped activations a ⊙ mask.</summary>
    /// <param name="layer">The hidden layer (0 = first).</param>
    /// <param name="activations">Its activations [rows × width].</param>
    public ReadOnlySpan<float> Apply(int layer, ReadOnlySpan<float> activations)
    {
        Span<float> mask = _masks[layer].AsSpan(0, activations.Length);
        Span<float> dropped = _dropped[layer].AsSpan(0, activations.Length);
        if (!FreezeMasks)
        {
            // Unit i is kept when the i-th draw's NextDouble() < keep (the same masks as that loop gives, faster).
            _random.FillBernoulli(mask, _keep, _scale);
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(activations, mask, dropped);
        return dropped;
    }

    /// <summary>The dropped activations of hidden layer <paramref name="layer"/> from the last <see cref="Apply"/> ([rows × width]).</summary>
    public ReadOnlySpan<float> Dropped(int layer, int length) => _dropped[layer].AsSpan(0, length);

    /// <summary>Multiplies the error at the dropped activations of <paramref name="layer"/> by the mask: ∂L/∂a = ∂L/∂(a ⊙ m) ⊙ m.</summary>
    public void MultiplyByMask(int layer, Span<float> delta) =>
        System.Numerics.Tensors.TensorPrimitives.Multiply(delta, _masks[layer].AsSpan(0, delta.Length), delta);
}
