using System.Collections.ObjectModel;
using Backprop.MLNet;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.MLNet;
using Backprop.MLNet.MLNet.Persistence;
using Backprop.MLNet.MLNet.Scoring;
using Backprop.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

[assembly: LoadableClass(typeof(BackpropModelParameters), null, typeof(SignatureLoadModel),
    "Backprop Model Parameters", BackpropModelParameters.LoaderSignature)]

namespace Backprop.MLNet;

/// <summary>
/// The trained network of a <see cref="BackpropTrainer"/>: its shape, weights, biases and training history.
/// What was learned is immutable, and exposed as read-only views; it is saved inside the ML.NET model file. The one
/// settable member, <see cref="NumberOfThreads"/>, is a runtime setting of this process and is not saved.
/// </summary>
public sealed partial class BackpropModelParameters : ModelParametersBase<float>, IValueMapper
{
    internal const string LoaderSignature = "BackpropModelParams";
    private const string RegistrationName = nameof(BackpropModelParameters);

    private readonly DataViewType _inputType;
    private readonly DataViewType _outputType;

    /// <summary>Backs <see cref="NumberOfThreads"/>: 0 for null (all cores). One int, so a reader never sees a torn value.</summary>
    private volatile int _numberOfThreads;

    /// <param name="env">The host.</param>
    /// <param name="contents">What the model holds.</param>
    /// <param name="foldInto">
    /// A buffer of the network's parameter count that nothing else uses, for the network with the standardisation folded in
    /// (training's spare gradient, whose pages are written already: a fresh 40 MB array cost a text model ~85 ms), or null.
    /// </param>
    internal BackpropModelParameters(IHostEnvironment env, ModelFormat.Contents contents, float[]? foldInto = null)
        : base(env, RegistrationName)
    {
        Task = contents.Task;
        TrainingNetwork = contents.Network;
        Standardization = contents.Standardization;
        Network = Standardization?.Fold(TrainingNetwork, foldInto) ?? TrainingNetwork;
        Scaling = contents.Scaling;
        History = contents.History;
        StopReason = contents.StopReason;
        Checkpoint = contents.Checkpoint;
        Classes = contents.Classes;
        Predictor = new NetworkPredictor(Network);
        TrainingHistory = EngineMapping.ToPublic(History, StopReason);
        HiddenLayerSizes = Network.LayerSizes.Skip(1).Take(Network.LayerCount - 1).ToArray().AsReadOnly();
        _inputType = new VectorDataViewType(NumberDataViewType.Single, Network.InputSize);
        _outputType = Task is BackpropTask.MulticlassClassification or BackpropTask.MultilabelClassification || Network.OutputSize > 1
            ? new VectorDataViewType(NumberDataViewType.Single, Network.OutputSize)
            : NumberDataViewType.Single;
    }

    /// <summary>The same model without its training state's optimizer part, sharing everything else (the networks, read-only).</summary>
    private BackpropModelParameters(BackpropModelParameters source, TrainingCheckpoint? checkpoint)
        : base(source.Host, RegistrationName)
    {
        Task = source.Task;
        TrainingNetwork = source.TrainingNetwork;
        Standardization = source.Standardization;
        Network = source.Network;
        Scaling = source.Scaling;
        History = source.History;
        StopReason = source.StopReason;
        Checkpoint = checkpoint;
        Classes = source.Classes;
        Predictor = source.Predictor;
        TrainingHistory = source.TrainingHistory;
        HiddenLayerSizes = source.HiddenLayerSizes;
        _inputType = source._inputType;
        _outputType = source._outputType;
        _numberOfThreads = source._numberOfThreads;
    }

    /// <summary>The task the network was trained for.</summary>
    public BackpropTask Task { get; }

    /// <summary>The number of input features.</summary>
    public int InputSize => Network.InputSize;

    /// <summary>
    /// The number of output units: 1 for binary classification, K for K classes, the number of labels for multilabel
    /// classification, the label's length for regression.
    /// </summary>
    public int OutputSize => Network.OutputSize;

    /// <summary>The width of each hidden layer, input side first.</summary>
    public IReadOnlyList<int> HiddenLayerSizes { get; }

    /// <summary>The hidden-layer activation.</summary>
    public Activation Activation => EngineMapping.ToPublic(Network.Activation);

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

    /// <summary>
    /// For a network trained on standardised features (the default): the mean of each feature over the training rows. The
    /// standardisation is folded into the first layer, so <see cref="GetWeights"/> and <see cref="GetBiases"/> already act on
    /// raw features. Null when the features were used as they are.
    /// </summary>
    public IReadOnlyList<float>? FeatureMean => Standardization?.Mean.AsReadOnly();

    /// <summary>For a network trained on standardised features: the standard deviation of each feature (1 for a constant one); else null.</summary>
    public IReadOnlyList<float>? FeatureStandardDeviation => Standardization?.Scale.AsReadOnly();

    /// <summary>
    /// The most threads scoring with this model may use: a row scored alone (<c>PredictionEngine.Predict</c>) splits a wide
    /// first layer over at most this many threads, and a <c>Transform</c> cursor scores its blocks on at most this many (its
    /// own and thread-pool helpers). Never more than <see cref="Environment.ProcessorCount"/>. Predictions are bit-identical
    /// whatever the value. A server that scores rows one at a time, from a request thread each, usually does best with 1:
    /// its parallelism comes from the requests, and with 1 a prediction never wakes another thread.
    /// </summary>
    /// <value>
    /// Null (all cores) or at least 1. A freshly trained model takes <see cref="BackpropTrainer.Options.NumberOfThreads"/>;
    /// a model loaded from a file starts at null, for the deployment to decide, because the setting is not saved in the
    /// file. A change applies from the next row a <c>PredictionEngine</c> scores and the next cursor <c>Transform</c>'s
    /// result opens. MLContext has no thread limit of its own to honour (ML.NET 5.0.1 exposes none); threads ML.NET starts
    /// itself, such as those of a consumer that asks for a cursor set, are outside this limit.
    /// </value>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value below 1.</exception>
    public int? NumberOfThreads
    {
        get => _numberOfThreads == 0 ? null : _numberOfThreads;
        set
        {
            if (value is < 1)
            {
                throw Errors.ModelSetting(nameof(NumberOfThreads), value, "must be at least 1, or null for all cores",
                    "Use 1 to score on the calling thread only.");
            }

            _numberOfThreads = value ?? 0;
        }
    }

    /// <summary>Threads scoring uses now: <see cref="NumberOfThreads"/>, or all cores, and never more than the cores.</summary>
    internal int ScoringThreads => _numberOfThreads == 0 ? Environment.ProcessorCount : Math.Min(_numberOfThreads, Environment.ProcessorCount);

    /// <summary>The network that predicts from raw features (engine type), shared read-only by every scorer.</summary>
    internal Network Network { get; }

    /// <summary>The network as trained: on standardised features when <see cref="Standardization"/> is set (then <see cref="Network"/> is it folded), else <see cref="Network"/> itself.</summary>
    internal Network TrainingNetwork { get; }

    /// <summary>The standardisation of the features the network was trained on, or null.</summary>
    internal InputStandardization? Standardization { get; }

    /// <summary>Prediction with <see cref="Network"/>: the packed layout, made on first use and shared by every scorer.</summary>
    internal NetworkPredictor Predictor { get; }

    /// <summary>The blocks of buffers <c>Transform</c>'s cursors score in, kept from one cursor to the next.</summary>
    internal ScoreBlockPool ScoreBlocks { get; } = new();

    /// <summary>The label standardisation of a regression model, or null.</summary>
    internal LabelScaling? Scaling { get; }

    /// <summary>The epochs of the training that made this model, as the training loop recorded them.</summary>
    internal IReadOnlyList<EpochRecord> History { get; }

    /// <summary>Why the last training stopped.</summary>
    internal StopReason StopReason { get; }

    /// <summary>Where training stopped (optimizer state, counters), for an exact warm start; null when unknown.</summary>
    internal TrainingCheckpoint? Checkpoint { get; }

    /// <summary>What the outputs of a multiclass model mean (the label's key values), checked by a warm start; null when unknown.</summary>
    internal ClassValues? Classes { get; }

    /// <summary>
    /// This model without its optimizer's state (<see cref="BackpropTrainer.Options.KeepOptimizerState"/> = false after the
    /// fact): the same predictions, bit for bit, and a model file about a third (Adam) or half (SGD) the size, for a model
    /// that is to be served rather than trained further. A warm start from it restarts the optimizer. The result shares this
    /// model's network (nothing is copied); this model is unchanged.
    /// </summary>
    /// <returns>The model without the state, or this model when it has none.</returns>
    public BackpropModelParameters WithoutOptimizerState() =>
        Checkpoint?.Optimizer is null ? this : new BackpropModelParameters(this, Checkpoint.WithoutOptimizer());

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
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"must be in [0, {LayerCount - 1}]: the network has {LayerCount} weight layers.");
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// ML.NET has no multilabel kind. A multilabel model says MultiOutputRegression (a vector of Single scores): the base
    /// prediction transformer builds ML.NET's default mapper from this kind before BackpropTransformer replaces it with
    /// MultilabelMapper, and that default mapper refuses the kinds it does not know.
    /// </remarks>
    protected override PredictionKind PredictionKind => Task switch
    {
        BackpropTask.BinaryClassification => PredictionKind.BinaryClassification,
        BackpropTask.MulticlassClassification => PredictionKind.MulticlassClassification,
        BackpropTask.MultilabelClassification => PredictionKind.MultiOutputRegression,
        _ => OutputSize > 1 ? PredictionKind.MultiOutputRegression : PredictionKind.Regression,
    };

    DataViewType IValueMapper.InputType => _inputType;

    DataViewType IValueMapper.OutputType => _outputType;

    ValueMapper<TSrc, TDst> IValueMapper.GetMapper<TSrc, TDst>()
    {
        if (typeof(TSrc) != typeof(VBuffer<float>))
        {
            throw new InvalidOperationException($"Backprop models score VBuffer<float> features, not {typeof(TSrc).Name}.");
        }

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
        ModelFormat.Write(ctx.Writer, new ModelFormat.Contents(Task, TrainingNetwork, Scaling, History, StopReason, Checkpoint, Standardization, Classes));
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
