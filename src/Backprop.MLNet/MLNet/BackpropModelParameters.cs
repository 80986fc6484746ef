using System.Collections.ObjectModel;
using Backprop.MLNet;
using Backprop.MLNet.Engine;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

[assembly: LoadableClass(typeof(BackpropModelParameters), null, typeof(SignatureLoadModel),
    "Backprop Model Parameters", BackpropModelParameters.LoaderSignature)]

namespace Backprop.MLNet;

/// <summary>
/// The trained network of a <see cref="BackpropTrainer"/>: its shape, weights, biases and training history.
/// Immutable; read-only views of the learned values are exposed. Saved inside the ML.NET model file.
/// </summary>
public sealed class BackpropModelParameters : ModelParametersBase<float>, IValueMapper
{
    internal const string LoaderSignature = "BackpropModelParams";
    private const string RegistrationName = nameof(BackpropModelParameters);

    private readonly DataViewType _inputType;
    private readonly DataViewType _outputType;

    internal BackpropModelParameters(IHostEnvironment env, BackpropTask task, Network network, IReadOnlyList<EpochReport> history)
        : base(env, RegistrationName)
    {
        Task = task;
        Network = network;
        TrainingHistory = history.ToArray().AsReadOnly();
        HiddenLayerSizes = network.LayerSizes.Skip(1).Take(network.LayerCount - 1).ToArray().AsReadOnly();
        _inputType = new VectorDataViewType(NumberDataViewType.Single, network.InputSize);
        _outputType = task == BackpropTask.MulticlassClassification
            ? new VectorDataViewType(NumberDataViewType.Single, network.OutputSize)
            : NumberDataViewType.Single;
    }

    /// <summary>The task the network was trained for.</summary>
    public BackpropTask Task { get; }

    /// <summary>The number of input features.</summary>
    public int InputSize => Network.InputSize;

    /// <summary>The number of output units: 1 for binary classification and regression, K for K classes.</summary>
    public int OutputSize => Network.OutputSize;

    /// <summary>The width of each hidden layer, input side first.</summary>
    public IReadOnlyList<int> HiddenLayerSizes { get; }

    /// <summary>The hidden-layer activation.</summary>
    public Activation Activation => Network.Activation;

    /// <summary>The number of weight layers: the hidden layers plus the output layer.</summary>
    public int LayerCount => Network.LayerCount;

    /// <summary>One report per epoch of the training that produced this model, oldest first.</summary>
    public IReadOnlyList<EpochReport> TrainingHistory { get; }

    /// <summary>The network itself (engine type), shared read-only by every scorer.</summary>
    internal Network Network { get; }

    /// <summary>The weights of weight layer <paramref name="layer"/>, row-major [outputs × inputs]: layer l computes z = W·a + b.</summary>
    /// <param name="layer">0 for the first hidden layer up to <see cref="LayerCount"/> − 1 for the output layer.</param>
    /// <returns>A read-only view of the weights (no copy).</returns>
    public IReadOnlyList<float> GetWeights(int layer)
    {
        CheckLayer(layer);
        return new ReadOnlyCollection<float>(new ArraySegment<float>(Network.Parameters, Network.WeightOffset(layer), Network.WeightCount(layer)));
    }

    /// <summary>The biases of weight layer <paramref name="layer"/>, one per output unit.</summary>
    /// <param name="layer">0 for the first hidden layer up to <see cref="LayerCount"/> − 1 for the output layer.</param>
    /// <returns>A read-only view of the biases (no copy).</returns>
    public IReadOnlyList<float> GetBiases(int layer)
    {
        CheckLayer(layer);
        return new ReadOnlyCollection<float>(new ArraySegment<float>(Network.Parameters, Network.BiasOffset(layer), Network.BiasCount(layer)));
    }

    private void CheckLayer(int layer)
    {
        if (layer < 0 || layer >= LayerCount)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"must be in [0, {LayerCount - 1}]: the network has {LayerCount} weight layers.");
    }

    /// <inheritdoc/>
    protected override PredictionKind PredictionKind => Task switch
    {
        BackpropTask.BinaryClassification => PredictionKind.BinaryClassification,
        BackpropTask.MulticlassClassification => PredictionKind.MulticlassClassification,
        _ => PredictionKind.Regression,
    };

    DataViewType IValueMapper.InputType => _inputType;

    DataViewType IValueMapper.OutputType => _outputType;

    ValueMapper<TSrc, TDst> IValueMapper.GetMapper<TSrc, TDst>()
    {
        if (typeof(TSrc) != typeof(VBuffer<float>))
            throw new InvalidOperationException($"Backprop models score VBuffer<float> features, not {typeof(TSrc).Name}.");

        var scorer = new RowScorer(this);
        if (typeof(TDst) == typeof(float) && Task != BackpropTask.MulticlassClassification)
        {
            ValueMapper<VBuffer<float>, float> map = (in VBuffer<float> src, ref float dst) => dst = scorer.Score(src)[0];
            return (ValueMapper<TSrc, TDst>)(Delegate)map;
        }

        if (typeof(TDst) == typeof(VBuffer<float>) && Task == BackpropTask.MulticlassClassification)
        {
            ValueMapper<VBuffer<float>, VBuffer<float>> map = (in VBuffer<float> src, ref VBuffer<float> dst) =>
            {
                ReadOnlySpan<float> probabilities = scorer.Outputs(src);
                var editor = VBufferEditor.Create(ref dst, probabilities.Length);
                probabilities.CopyTo(editor.Values);
                dst = editor.Commit();
            };
            return (ValueMapper<TSrc, TDst>)(Delegate)map;
        }

        throw new InvalidOperationException($"A {Task} Backprop model cannot produce {typeof(TDst).Name} scores.");
    }

    /// <summary>
    /// Scores one row at a time without allocating: owns the scratch buffers of one mapper delegate, which
    /// ML.NET uses from one thread only (IValueMapper's contract), so each cursor and each PredictionEngine
    /// gets its own.
    /// </summary>
    internal sealed class RowScorer(BackpropModelParameters model)
    {
        private readonly InferenceScratch _scratch = model.Network.CreateScratch(1);
        private readonly float[] _dense = new float[model.InputSize];

        /// <summary>The raw output logits of one row (for a binary model: the score).</summary>
        public ReadOnlySpan<float> Score(in VBuffer<float> features)
        {
            model.Network.Forward(Densify(features), 1, _scratch);
            return _scratch.LastLogits;
        }

        /// <summary>The first raw output logit of the row scored last.</summary>
        public float LastLogit => _scratch.LastLogits[0];

        /// <summary>The outputs of one row: probabilities for classifiers, predicted values for regression.</summary>
        public ReadOnlySpan<float> Outputs(in VBuffer<float> features) => model.Network.Forward(Densify(features), 1, _scratch);

        private ReadOnlySpan<float> Densify(in VBuffer<float> features)
        {
            if (features.Length != _dense.Length)
                throw new ArgumentOutOfRangeException(nameof(features), features.Length,
                    $"The feature vector has {features.Length} values; this Backprop model was trained on {_dense.Length}.");
            if (features.IsDense)
                return features.GetValues();
            Array.Clear(_dense);
            ReadOnlySpan<float> values = features.GetValues();
            ReadOnlySpan<int> indices = features.GetIndices();
            for (int i = 0; i < values.Length; i++)
                _dense[indices[i]] = values[i];
            return _dense;
        }
    }

    // ---- Persistence -------------------------------------------------------------------------------------

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "BPROPMDL",
        verWrittenCur: 0x00010001, // 0x00010001: first version
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(BackpropModelParameters).Assembly.FullName);

    /// <inheritdoc/>
    protected override void SaveCore(ModelSaveContext ctx)
    {
        base.SaveCore(ctx);
        ctx.SetVersionInfo(GetVersionInfo());
        ModelFormat.Write(ctx.Writer, Task, Network, TrainingHistory);
    }

    /// <summary>
    /// The loader ML.NET calls, by the signature stored in the model file, to read saved parameters. (ML.NET's
    /// catalog refuses a type with both a loader method and a loading constructor of the same visibility, so
    /// there is only this method.)
    /// </summary>
    private static BackpropModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new BackpropModelParameters(env, ModelFormat.Read(ctx.Reader));
    }

    private BackpropModelParameters(IHostEnvironment env, ModelFormat.Contents contents)
        : this(env, contents.Task, contents.Network, contents.History)
    {
    }
}
