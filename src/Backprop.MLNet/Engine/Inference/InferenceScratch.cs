using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Inference;

/// <summary>
/// Reusable buffers for <see cref="Network.Forward"/>: one per thread (or per ML.NET cursor), so
/// a shared network can be evaluated concurrently with no allocation per call. After a forward
/// pass it exposes the raw logits and the hidden activations of the last <see cref="Rows"/> rows.
/// </summary>
/// <remarks>
/// Nothing here is sized by the input width up front: the list of one dense row's non-zero inputs starts at the widest
/// hidden layer and grows to the input width on the first dense one-row pass, and the dense copy of a sparse batch
/// (needed only by a network too large to pack) is made on first use, so a wide model scored on sparse rows keeps
/// buffers proportional to its hidden layers and its rows.
/// </remarks>
internal sealed class InferenceScratch
{
    private readonly int[] _layerSizes;
    private readonly float[][] _hidden;
    private float[] _denseInput = [];

    /// <summary>Creates buffers for networks with the given layer sizes (use <see cref="Network.CreateScratch"/>).</summary>
    /// <param name="layerSizes">Widths of all layers, input first and output last.</param>
    /// <param name="maxRows">Largest number of rows per forward pass (≥ 1).</param>
    public InferenceScratch(ReadOnlySpan<int> layerSizes, int maxRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        if (layerSizes.Length < 2)
        {
            throw new ArgumentException("At least an input and an output layer are needed.", nameof(layerSizes));
        }

        _layerSizes = layerSizes.ToArray();
        MaxRows = maxRows;
        _hidden = new float[_layerSizes.Length - 2][];
        for (int h = 0; h < _hidden.Length; h++)
        {
            _hidden[h] = new float[checked(maxRows * _layerSizes[h + 1])];
        }

        int widest = 0;
        for (int l = 1; l + 1 < _layerSizes.Length; l++)
        {
            widest = Math.Max(widest, _layerSizes[l]);
        }

        NonzeroIndices = new int[widest];
        int outputs = _layerSizes[^1];
        LogitsBuffer = new float[checked(maxRows * outputs)];
        OutputsBuffer = new float[maxRows * outputs];
    }

    /// <summary>Largest number of rows one forward pass may use.</summary>
    public int MaxRows { get; }

    /// <summary>Bytes of the buffers held now.</summary>
    public long Bytes
    {
        get
        {
            long floats = (long)_denseInput.Length + NonzeroIndices.Length + LogitsBuffer.Length + OutputsBuffer.Length;
            foreach (float[] hidden in _hidden)
            {
                floats += hidden.Length;
            }

            return floats * sizeof(float);
        }
    }

    /// <summary>Number of rows of the last forward pass (0 before the first).</summary>
    public int Rows { get; internal set; }

    /// <summary>Raw output logits of the last forward pass, [<see cref="Rows"/> × outputs].</summary>
    public ReadOnlySpan<float> LastLogits => LogitsBuffer.AsSpan(0, Rows * _layerSizes[^1]);

    /// <summary>Outputs of the last forward pass, [<see cref="Rows"/> × outputs].</summary>
    public ReadOnlySpan<float> LastOutputs => OutputsBuffer.AsSpan(0, Rows * _layerSizes[^1]);

    /// <summary>The whole logits buffer, [<see cref="MaxRows"/> × outputs].</summary>
    internal float[] LogitsBuffer { get; }

    /// <summary>Room for the indices of one row's non-zero inputs to a layer (see <see cref="EnsureNonzeroCapacity"/>).</summary>
    internal int[] NonzeroIndices { get; private set; }


    /// <summary>The whole outputs buffer, [<see cref="MaxRows"/> × outputs].</summary>
    internal float[] OutputsBuffer { get; }

    /// <summary>Activations of hidden layer <paramref name="hiddenLayer"/> (0-based) from the last forward pass, [<see cref="Rows"/> × width].</summary>
    /// <param name="hiddenLayer">Hidden layer index, 0 ≤ index &lt; number of hidden layers.</param>
    public ReadOnlySpan<float> HiddenActivations(int hiddenLayer) =>
        _hidden[hiddenLayer].AsSpan(0, Rows * _layerSizes[hiddenLayer + 1]);

    /// <summary>The whole buffer of hidden layer <paramref name="hiddenLayer"/>, [<see cref="MaxRows"/> × width].</summary>
    /// <param name="hiddenLayer">Hidden layer index.</param>
    internal float[] HiddenBuffer(int hiddenLayer) => _hidden[hiddenLayer];

    /// <summary>Grows <see cref="NonzeroIndices"/> to hold the non-zero inputs of one row of <paramref name="width"/> inputs.</summary>
    /// <param name="width">The layer's inputs.</param>
    internal void EnsureNonzeroCapacity(int width)
    {
        if (NonzeroIndices.Length < width)
        {
            NonzeroIndices = new int[width];
        }
    }

    /// <summary>A buffer of at least <paramref name="floats"/> floats for the dense copy of a sparse batch (grown on demand, contents undefined).</summary>
    /// <param name="floats">Floats needed: rows × inputs.</param>
    internal float[] DenseInput(int floats)
    {
        if (_denseInput.Length < floats)
        {
            _denseInput = new float[floats];
        }

        return _denseInput;
    }

    /// <summary>Throws unless this scratch matches the shape of <paramref name="network"/> and can hold <paramref name="rows"/> rows.</summary>
    /// <param name="network">The network about to use the scratch.</param>
    /// <param name="rows">Rows of the coming forward pass.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void CheckFits(Network network, int rows)
    {
        if (!network.HasLayerSizes(_layerSizes))
        {
            throw new ArgumentException("This scratch was created for a network with different layer sizes.");
        }

        if (rows < 1 || rows > MaxRows)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"Rows must be between 1 and the scratch's MaxRows ({MaxRows}).");
        }
    }
}
