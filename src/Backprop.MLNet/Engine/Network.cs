using System.Collections.ObjectModel;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Engine;

/// <summary>
/// A dense multi-layer perceptron of any depth. Every parameter lives in the single flat array
/// <see cref="Parameters"/>; for each weight layer l (0 = first hidden layer, last = output layer)
/// it holds the weights W_l row-major with shape [outputs × inputs], immediately followed by the
/// biases b_l (length outputs), so that layer l computes z = W_l·a + b_l.
/// </summary>
/// <remarks>
/// Inference (<see cref="Forward"/>) only reads <see cref="Parameters"/> and writes into the caller's <see cref="InferenceScratch"/>,
/// so one network may serve many threads at once as long as each thread has its own scratch and
/// nobody trains or edits the parameters meanwhile.
/// The network is fully described by <see cref="LayerSizes"/>, <see cref="Activation"/> (with <see cref="PredictsGeluByTanh"/>),
/// <see cref="OutputKind"/> and <see cref="Parameters"/>; <see cref="FromParameters"/> rebuilds it from them.
/// </remarks>
internal sealed class Network
{
    private readonly int[] _layerSizes;
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;

    /// <summary>Creates a network with all parameters zero (call <see cref="InitializeGlorot"/> next to train it).</summary>
    /// <param name="inputSize">Number of input features (≥ 1).</param>
    /// <param name="hiddenSizes">Width of each hidden layer in order (each ≥ 1); may be empty for a linear model.</param>
    /// <param name="outputSize">Number of output units (≥ 1): 1 for binary classification, K for K classes with softmax, one per regression target.</param>
    /// <param name="activation">Activation of every hidden layer.</param>
    /// <param name="outputKind">Output activation and loss.</param>
    public Network(int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize, ActivationKind activation, OutputKind outputKind)
        : this(BuildLayerSizes(inputSize, hiddenSizes, outputSize), activation, outputKind)
    {
    }

    /// <summary>Creates a network with all parameters zero from its complete list of layer widths.</summary>
    /// <param name="layerSizes">Widths of all layers, input first and output last (at least two entries, each ≥ 1).</param>
    /// <param name="activation">Activation of every hidden layer.</param>
    /// <param name="outputKind">Output activation and loss.</param>
    /// <param name="geluByTanh">
    /// Whether GELU layers predict as models saved before format 0x00010005 did (<see cref="GeluActivation.ByTanh"/>); only
    /// with <see cref="ActivationKind.Gelu"/>.
    /// </param>
    public Network(IReadOnlyList<int> layerSizes, ActivationKind activation, OutputKind outputKind, bool geluByTanh = false)
        : this(layerSizes, activation, outputKind, geluByTanh, parameters: null)
    {
    }

    /// <summary>A network over <paramref name="parameters"/> (exactly its parameter count, kept), or over a new zeroed array when null.</summary>
    private Network(IReadOnlyList<int> layerSizes, ActivationKind activation, OutputKind outputKind, bool geluByTanh, float[]? parameters)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        if (layerSizes.Count < 2)
        {
            throw new ArgumentException("A network needs at least an input and an output layer.", nameof(layerSizes));
        }

        _layerSizes = new int[layerSizes.Count];
        for (int i = 0; i < _layerSizes.Length; i++)
        {
            if (layerSizes[i] < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(layerSizes), layerSizes[i], $"Layer {i} must have at least one unit.");
            }

            _layerSizes[i] = layerSizes[i];
        }

        if (geluByTanh && activation != ActivationKind.Gelu)
        {
            throw new ArgumentException($"Only a GELU network predicts GELU by tanh; this one's activation is {activation}.", nameof(geluByTanh));
        }

        HiddenFunction = geluByTanh ? GeluActivation.ByTanh : HiddenActivation.For(activation);
        OutputLayer = OutputLayer.For(outputKind);
        LayerSizes = Array.AsReadOnly(_layerSizes);

        int layers = _layerSizes.Length - 1;
        _weightOffsets = new int[layers];
        _biasOffsets = new int[layers];
        long offset = 0;
        for (int l = 0; l < layers; l++)
        {
            _weightOffsets[l] = (int)offset;
            offset += (long)_layerSizes[l] * _layerSizes[l + 1];
            _biasOffsets[l] = (int)Math.Min(offset, int.MaxValue);
            offset += _layerSizes[l + 1];
            if (offset > Array.MaxLength)
            {
                throw new ArgumentException($"The network has more than {Array.MaxLength} parameters.", nameof(layerSizes));
            }
        }

        if (parameters is not null && parameters.Length != offset)
        {
            throw new ArgumentException($"Expected {offset} parameters for this architecture but got {parameters.Length}.", nameof(parameters));
        }

        Parameters = parameters ?? LargeArrays.Allocate<float>(offset);
    }

    /// <summary>Widths of all layers, input first and output last.</summary>
    public ReadOnlyCollection<int> LayerSizes { get; }

    /// <summary>Number of input features.</summary>
    public int InputSize => _layerSizes[0];

    /// <summary>Number of output units.</summary>
    public int OutputSize => _layerSizes[^1];

    /// <summary>Number of weight layers (hidden layers + 1).</summary>
    public int LayerCount => _layerSizes.Length - 1;

    /// <summary>The hidden-layer activation.</summary>
    public ActivationKind Activation => HiddenFunction.Kind;

    /// <summary>The output activation and loss.</summary>
    public OutputKind OutputKind => OutputLayer.Kind;

    /// <summary>Number of target values per training row (see <see cref="Outputs.OutputLayer.TargetWidth"/>).</summary>
    public int TargetWidth => OutputLayer.TargetWidth(OutputSize);

    /// <summary>The hidden-layer activation function object (prediction's; training uses its <see cref="HiddenActivation.InTraining"/>).</summary>
    public HiddenActivation HiddenFunction { get; }

    /// <summary>
    /// Whether the GELU layers predict by <see cref="MathF.Tanh"/>, one value at a time, as every GELU model saved before
    /// format 0x00010005 does (for those models' bits); a network made for training never does.
    /// </summary>
    public bool PredictsGeluByTanh => ReferenceEquals(HiddenFunction, GeluActivation.ByTanh);

    /// <summary>The output activation and loss object.</summary>
    public OutputLayer OutputLayer { get; }

    /// <summary>All weights and biases, in the layout described on the class.</summary>
    public float[] Parameters { get; }

    /// <summary>Total number of parameters (length of <see cref="Parameters"/>).</summary>
    public int ParameterCount => Parameters.Length;

    /// <summary>Rebuilds a network from its serialised description; the parameters are copied.</summary>
    /// <param name="layerSizes">Widths of all layers, input first and output last.</param>
    /// <param name="activation">Activation of every hidden layer.</param>
    /// <param name="outputKind">Output activation and loss.</param>
    /// <param name="parameters">The flat parameter vector; its length must equal the parameter count implied by <paramref name="layerSizes"/>.</param>
    /// <param name="geluByTanh">Whether GELU layers predict as models saved before format 0x00010005 did (see <see cref="PredictsGeluByTanh"/>).</param>
    public static Network FromParameters(IReadOnlyList<int> layerSizes, ActivationKind activation, OutputKind outputKind, ReadOnlySpan<float> parameters,
        bool geluByTanh = false)
    {
        var network = new Network(layerSizes, activation, outputKind, geluByTanh);
        if (parameters.Length != network.ParameterCount)
        {
            throw new ArgumentException(
                $"Expected {network.ParameterCount} parameters for this architecture but got {parameters.Length}.", nameof(parameters));
        }

        parameters.CopyTo(network.Parameters);
        return network;
    }

    /// <summary>
    /// A network over <paramref name="parameters"/> itself, not a copy (<see cref="FromParameters"/> copies): for an array
    /// nothing else holds, such as parameters just read from a model file (a text model's 40 MB copied and written for the
    /// first time cost its load ~0.1 s).
    /// </summary>
    /// <param name="layerSizes">Widths of all layers.</param>
    /// <param name="activation">Activation of every hidden layer.</param>
    /// <param name="outputKind">Output activation and loss.</param>
    /// <param name="parameters">Exactly the architecture's parameter count; the network keeps it.</param>
    /// <param name="geluByTanh">As in the constructor.</param>
    public static Network Adopt(IReadOnlyList<int> layerSizes, ActivationKind activation, OutputKind outputKind, float[] parameters, bool geluByTanh = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new Network(layerSizes, activation, outputKind, geluByTanh, parameters);
    }

    /// <summary>Number of inputs (fan-in) of weight layer <paramref name="layer"/>.</summary>
    /// <param name="layer">Weight layer index, 0 ≤ layer &lt; <see cref="LayerCount"/>.</param>
    public int LayerInputs(int layer) => _layerSizes[layer];

    /// <summary>Number of outputs (fan-out) of weight layer <paramref name="layer"/>.</summary>
    /// <param name="layer">Weight layer index, 0 ≤ layer &lt; <see cref="LayerCount"/>.</param>
    public int LayerOutputs(int layer) => _layerSizes[layer + 1];

    /// <summary>Offset of W_layer in <see cref="Parameters"/>.</summary>
    /// <param name="layer">Weight layer index.</param>
    public int WeightOffset(int layer) => _weightOffsets[layer];

    /// <summary>Number of weights of layer <paramref name="layer"/> (outputs × inputs).</summary>
    /// <param name="layer">Weight layer index.</param>
    public int WeightCount(int layer) => _layerSizes[layer] * _layerSizes[layer + 1];

    /// <summary>Offset of b_layer in <see cref="Parameters"/>.</summary>
    /// <param name="layer">Weight layer index.</param>
    public int BiasOffset(int layer) => _biasOffsets[layer];

    /// <summary>Number of biases of layer <paramref name="layer"/> (its outputs).</summary>
    /// <param name="layer">Weight layer index.</param>
    public int BiasCount(int layer) => _layerSizes[layer + 1];

    /// <summary>View of W_layer, row-major [outputs × inputs]: element (o, i) is at o·inputs + i.</summary>
    /// <param name="layer">Weight layer index.</param>
    public Span<float> WeightsOf(int layer) => Parameters.AsSpan(_weightOffsets[layer], WeightCount(layer));

    /// <summary>View of b_layer (length outputs).</summary>
    /// <param name="layer">Weight layer index.</param>
    public Span<float> BiasesOf(int layer) => Parameters.AsSpan(_biasOffsets[layer], BiasCount(layer));

    /// <summary>A deep copy: same architecture and prediction form, its own copy of the parameters.</summary>
    public Network Clone() => FromParameters(_layerSizes, Activation, OutputKind, Parameters, PredictsGeluByTanh);

    /// <summary>A deep copy like <see cref="Clone"/> whose parameters are copied into <paramref name="storage"/>, which it keeps.</summary>
    /// <param name="storage">Exactly <see cref="ParameterCount"/> floats that nothing else uses from now on.</param>
    public Network CloneInto(float[] storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        if (storage.Length != ParameterCount)
        {
            throw new ArgumentException($"The storage holds {storage.Length} floats; the network has {ParameterCount} parameters.", nameof(storage));
        }

        Parameters.CopyTo(storage, 0);
        return new Network(_layerSizes, Activation, OutputKind, PredictsGeluByTanh, storage);
    }

    /// <summary>True when <paramref name="other"/> has the same layer sizes, activation and output kind.</summary>
    /// <param name="other">The network to compare with.</param>
    public bool HasSameArchitecture(Network other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return other.Activation == Activation && other.OutputKind == OutputKind && HasLayerSizes(other._layerSizes);
    }

    /// <summary>True when this network's layer sizes equal <paramref name="layerSizes"/>.</summary>
    /// <param name="layerSizes">Widths of all layers, input first.</param>
    public bool HasLayerSizes(ReadOnlySpan<int> layerSizes) => layerSizes.SequenceEqual(_layerSizes);

    /// <summary>Overwrites all parameters with scikit-learn's Glorot-uniform initialisation drawn from <paramref name="random"/>.</summary>
    /// <param name="random">The generator to draw from (advanced by <see cref="ParameterCount"/> draws).</param>
    public void InitializeGlorot(SeededRandom random) => GlorotInitializer.Initialize(this, random);

    /// <summary>Creates a scratch object able to run this network (or any network of the same shape) on up to <paramref name="maxRows"/> rows.</summary>
    /// <param name="maxRows">Largest batch that will be passed to <see cref="Forward"/>.</param>
    public InferenceScratch CreateScratch(int maxRows = 1) => new(_layerSizes, maxRows);

    /// <summary>
    /// Runs the forward pass of prediction on <paramref name="rows"/> rows without allocating (training has its own,
    /// which also keeps what the backward pass needs: <see cref="BackpropWorkspace"/>).
    /// </summary>
    /// <param name="x">Inputs, row-major [rows × <see cref="InputSize"/>] (extra trailing values are ignored).</param>
    /// <param name="rows">Number of rows, 1 ≤ rows ≤ <see cref="InferenceScratch.MaxRows"/>.</param>
    /// <param name="scratch">Caller-owned buffers; after the call they also hold the raw logits and hidden activations.</param>
    /// <param name="threads">Maximum threads for the matrix kernels, the caller included; results do not depend on it.</param>
    /// <returns>The outputs [rows × <see cref="OutputSize"/>] (probabilities for sigmoid/softmax, values for identity), a view into <paramref name="scratch"/>.</returns>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int rows, InferenceScratch scratch, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        scratch.CheckFits(this, rows);
        CheckInputs(x, rows);
        ReadOnlySpan<float> a = x[..(rows * InputSize)];
        int last = LayerCount - 1;
        for (int l = 0; l <= last; l++)
        {
            int outputs = _layerSizes[l + 1];
            Span<float> z = (l == last ? scratch.LogitsBuffer : scratch.HiddenBuffer(l)).AsSpan(0, rows * outputs);
            DenseForwardKernel.Compute(a, rows, _layerSizes[l], WeightsOf(l), BiasesOf(l), outputs, z, l == last ? null : HiddenFunction, threads);
            a = z;
        }

        Span<float> result = scratch.OutputsBuffer.AsSpan(0, rows * OutputSize);
        OutputLayer.Activate(a, result, OutputSize);
        scratch.Rows = rows;
        return result;
    }

    /// <summary>Throws unless <paramref name="x"/> holds at least <paramref name="rows"/> rows of inputs.</summary>
    /// <param name="x">Inputs, row-major.</param>
    /// <param name="rows">Number of rows.</param>
    internal void CheckInputs(ReadOnlySpan<float> x, int rows)
    {
        if (x.Length < rows * InputSize)
        {
            throw new ArgumentException($"Expected at least {rows * InputSize} input values but got {x.Length}.", nameof(x));
        }
    }

    /// <summary>
    /// Recomputes the outputs of the last <paramref name="rows"/> rows of <paramref name="scratch"/> from their logits, one row
    /// at a time, and records the row count. TensorPrimitives rounds its SIMD body and its scalar tail differently (a block
    /// of binary logits is one long span), so prediction activates each row with the very call one row alone makes.
    /// </summary>
    /// <param name="scratch">Buffers holding the logits of a forward pass.</param>
    /// <param name="rows">Number of rows.</param>
    /// <returns>The outputs [rows × <see cref="OutputSize"/>], a view into <paramref name="scratch"/>.</returns>
    internal ReadOnlySpan<float> ActivateOutputsByRow(InferenceScratch scratch, int rows)
    {
        int outputs = OutputSize;
        float[] logits = scratch.LogitsBuffer, results = scratch.OutputsBuffer;
        for (int r = 0; r < rows; r++)
        {
            OutputLayer.Activate(logits.AsSpan(r * outputs, outputs), results.AsSpan(r * outputs, outputs), outputs);
        }

        scratch.Rows = rows;
        return results.AsSpan(0, rows * outputs);
    }

    /// <summary>Builds the full layer-size array from input, hidden and output sizes.</summary>
    private static int[] BuildLayerSizes(int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize)
    {
        ArgumentNullException.ThrowIfNull(hiddenSizes);
        var sizes = new int[hiddenSizes.Count + 2];
        sizes[0] = inputSize;
        for (int i = 0; i < hiddenSizes.Count; i++)
        {
            sizes[i + 1] = hiddenSizes[i];
        }

        sizes[^1] = outputSize;
        return sizes;
    }
}
