namespace Backprop.MLNet.Engine;

/// <summary>
/// What a training forward pass keeps beyond inference's buffers: the pre-activations z of the hidden layers when the
/// activation's derivative needs them (GELU), and the dropout masks and dropped activations. Allocated once per workspace.
/// </summary>
internal sealed class TrainingBuffers
{
    private readonly float[][]? _preActivations;

    /// <summary>Creates the buffers a training pass over <paramref name="network"/> needs, or throws if it needs none.</summary>
    public TrainingBuffers(Network network, int maxRows, Dropout? dropout)
    {
        Dropout = dropout;
        if (network.HiddenFunction.DerivativeFromPreActivation)
        {
            _preActivations = new float[network.LayerCount - 1][];
            for (int l = 0; l < _preActivations.Length; l++)
            {
                _preActivations[l] = new float[checked(maxRows * network.LayerOutputs(l))];
            }
        }
    }

    /// <summary>Whether any training pass of <paramref name="network"/> with <paramref name="dropout"/> needs these buffers.</summary>
    public static bool Needed(Network network, Dropout? dropout) => dropout is not null || network.HiddenFunction.DerivativeFromPreActivation;

    /// <summary>The dropout of the hidden layers, or null.</summary>
    public Dropout? Dropout { get; }

    /// <summary>Whether the pre-activations are kept.</summary>
    public bool KeepsPreActivations => _preActivations is not null;

    /// <summary>The kept pre-activations of hidden layer <paramref name="layer"/> ([rows × width] = <paramref name="length"/> values).</summary>
    public Span<float> PreActivation(int layer, int length) => _preActivations![layer].AsSpan(0, length);
}
