using Backprop.MLNet;
using System.Collections.ObjectModel;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine;
using Backprop.MLNet.MLNet.Persistence;
using Backprop.MLNet.MLNet;
using Backprop.MLNet.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using Microsoft.ML;

[assembly: LoadableClass(typeof(BackpropModelParameters), null, typeof(SignatureLoadModel),
    "Backprop Model Parameters", BackpropModelParameters.LoaderSignature)]

namespace Backprop.MLNet;

/// <summary>
/// The trained network of a <see cref="BackpropTrainer"/>: its shape, weights, biases and training history.
/// Immutable; read-only views of the learned values are exposed. Saved inside the ML.NET model file.
/// </summary>
public sealed partial class BackpropModelParameters : ModelParametersBase<float>, IValueMapper
{
    internal const string LoaderSignature = "BackpropModelParams";
    private const string RegistrationName = nameof(BackpropModelParameters);

    private readonly DataViewType _inputType;
    private readonly DataViewType _outputType;

    internal BackpropModelParameters(IHostEnvironment env, ModelFormat.Contents contents)
        : base(env, RegistrationName)
    {
        Task = contents.Task;
        Network = contents.Network;
        Scaling = contents.Scaling;
        TrainingHistory = contents.History;
        Checkpoint = contents.Checkpoint;
        HiddenLayerSizes = Network.LayerSizes.Skip(1).Take(Network.LayerCount - 1).ToArray().AsReadOnly();
        _inputType = new VectorDataViewType(NumberDataViewType.Single, Network.InputSize);
        _outputType = Task == BackpropTask.MulticlassClassification || Network.OutputSize > 1
            ? new VectorDataViewType(NumberDataViewType.Single, Network.OutputSize)
            : NumberDataViewType.Single;
    }

    /// <summary>The task the network was trained for.</summary>
    public BackpropTask Task { get; }

    /// <summary>The number of input features.</summary>
    public int InputSize => Network.InputSize;

    /// <summary>The number of output units: 1 for binary classification, K for K classes, the label's length for regression.</summary>
    public int OutputSize => Network.OutputSize;

    /// <summary>The width of each hidden layer, input side first.</summary>
    public IReadOnlyList<int> HiddenLayerSizes { get; }

    /// <summary>The hidden-layer activation.</summary>
    public Activation Activation => Network.Activation;

    /// <summary>The number of weight layers: the hidden layers plus the output layer.</summary>
    public int LayerCount => Network.LayerCount;

    /// <summary>One report per epoch of the training that produced this model, oldest first, and why it stopped.</summary>
    public TrainingHistory TrainingHistory { get; }

    /// <summary>
    /// For regression with the label standardised (the default): the mean of each label value over the training
    /// rows; the network predicts (y − mean) / sd and <c>Score</c> is mapped back. Null when not standardised.
    /// </summary>
    public IReadOnlyList<float>? LabelMean => Scaling?.Mean.AsReadOnly();

    /// <summary>For regression with the label standardised: the standard deviation of each label value; else null.</summary>
    public IReadOnlyList<float>? LabelStandardDeviation => Scaling?.StandardDeviation.AsReadOnly();

    /// <summary>Backs <see cref="Packed"/>: null until first used, then the packed network or <see cref="NotPacked"/>.</summary>
    private object? _packed;

    /// <summary>Marks a model whose network is too large to pack.</summary>
    private static readonly object NotPacked = new();

    /// <summary>The network itself (engine type), shared read-only by every scorer.</summary>
    internal Network Network { get; }

    /// <summary>
    /// The prediction layout of <see cref="Network"/>, packed on first use and shared by every scorer of this model (the
    /// network of a model never changes). See <see cref="PackedNetwork"/>.
    /// </summary>
    internal PackedNetwork? Packed => (Volatile.Read(ref _packed) ?? CreatePacked()) as PackedNetwork;

    /// <summary>The label standardisation of a regression model, or null.</summary>
    internal LabelScaling? Scaling { get; }

    /// <summary>Where training stopped (optimizer state, counters), for an exact warm start; null when unknown.</summary>
    internal TrainingCheckpoint? Checkpoint { get; }

    /// <summary>Packs the network once; threads racing here agree on the first copy published.</summary>
    private object CreatePacked()
    {
        Interlocked.CompareExchange(ref _packed, (object?)PackedNetwork.TryCreate(Network) ?? NotPacked, null);
        return _packed!;
    }

    /// <summary>Makes this model score with the training layout, as a model too large to pack does (for tests).</summary>
    internal void ScoreWithoutPacking() => Volatile.Write(ref _packed, NotPacked);

    /// <summary>
    /// The forward pass of prediction: the packed network's, or for a model too large to pack <see cref="Network.Forward"/>
    /// followed by the output activation row by row (so each row's outputs come from the very call one row alone makes).
    /// Either way a row gets the same bits alone as inside any block.
    /// </summary>
    /// <param name="x">Inputs, row-major [rows × inputs].</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="scratch">The caller's buffers.</param>
    /// <param name="threads">Threads, the caller included.</param>
    /// <returns>The outputs [rows × outputs] before label de-standardisation, a view into <paramref name="scratch"/>.</returns>
    internal ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int rows, InferenceScratch scratch, int threads)
    {
        if (Packed is { } packed)
            return packed.Forward(x, rows, scratch, threads);

        Network.Forward(x, rows, scratch, threads);
        return Network.ActivateOutputsByRow(scratch, rows);
    }

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
        _ => OutputSize > 1 ? PredictionKind.MultiOutputRegression : PredictionKind.Regression,
    };

    DataViewType IValueMapper.InputType => _inputType;

    DataViewType IValueMapper.OutputType => _outputType;

    ValueMapper<TSrc, TDst> IValueMapper.GetMapper<TSrc, TDst>()
    {
        if (typeof(TSrc) != typeof(VBuffer<float>))
            throw new InvalidOperationException($"Backprop models score VBuffer<float> features, not {typeof(TSrc).Name}.");

        var scorer = new RowScorer(this);
        if (typeof(TDst) == typeof(float) && _outputType is not VectorDataViewType)
        {
            ValueMapper<VBuffer<float>, float> map = Task == BackpropTask.BinaryClassification
                ? (in VBuffer<float> src, ref float dst) => dst = scorer.Logit(src)
                : (in VBuffer<float> src, ref float dst) => dst = scorer.Predict(src)[0];
            return (ValueMapper<TSrc, TDst>)(Delegate)map;
        }

        if (typeof(TDst) == typeof(VBuffer<float>) && _outputType is VectorDataViewType)
        {
            ValueMapper<VBuffer<float>, VBuffer<float>> map = (in VBuffer<float> src, ref VBuffer<float> dst) =>
            {
                ReadOnlySpan<float> values = scorer.Predict(src);
                var editor = VBufferEditor.Create(ref dst, values.Length);
                values.CopyTo(editor.Values);
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

        /// <summary>Threads one row may use: a large first layer is split over the cores (results do not depend on it).</summary>
        private static int Threads => Environment.ProcessorCount;
        private readonly float[] _dense = new float[model.InputSize];
        private readonly float[] _restored = new float[model.Scaling is null ? 0 : model.OutputSize];

        /// <summary>The first raw output logit of one row (for a binary model: the score).</summary>
        public float Logit(in VBuffer<float> features)
        {
            model.Forward(Densify(features), 1, _scratch, Threads);
            return _scratch.LastLogits[0];
        }

        /// <summary>The first raw output logit of the row scored last.</summary>
        public float LastLogit => _scratch.LastLogits[0];

        /// <summary>The outputs of one row: probabilities for classifiers, predicted values (in label units) for regression.</summary>
        public ReadOnlySpan<float> Predict(in VBuffer<float> features)
        {
            ReadOnlySpan<float> outputs = model.Forward(Densify(features), 1, _scratch, Threads);
            if (model.Scaling is null)
                return outputs;
            outputs.CopyTo(_restored);
            model.Scaling.Restore(_restored);
            return _restored;
        }

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
        verWrittenCur: ModelFormat.CurrentVersion, // history in ModelFormat's remarks
        verReadableCur: ModelFormat.CurrentVersion, // code that knows only 0x00010001 cannot read this layout
        verWeCanReadBack: ModelFormat.OldestReadableVersion,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(BackpropModelParameters).Assembly.FullName);

    /// <inheritdoc/>
    protected override void SaveCore(ModelSaveContext ctx)
    {
        base.SaveCore(ctx);
        ctx.SetVersionInfo(GetVersionInfo());
        ModelFormat.Write(ctx.Writer, new ModelFormat.Contents(Task, Network, Scaling, TrainingHistory, Checkpoint));
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
        return new BackpropModelParameters(env, ModelFormat.Read(ctx.Reader, ctx.Header.ModelVerWritten));
    }
}
