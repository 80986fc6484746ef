using System.Diagnostics;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine.Sparse;
using Backprop.MLNet.Training.Data;
using Backprop.MLNet.Training.Solvers;

namespace Backprop.MLNet.Training;

/// <summary>
/// The entry to the training loop: prepares a run (the network, fresh or continued; the seeded generator; the
/// early-stopping split) and hands it to the solver the settings name, <see cref="StochasticSolver"/> (scikit-learn's
/// <c>_fit_stochastic</c>, with or without early stopping) or <see cref="LbfgsSolver"/> (its <c>_fit_lbfgs</c>).
/// </summary>
internal static class MlpTrainer
{
    /// <summary>
    /// Trains a network. Deterministic: the same data, settings (seed included) and checkpoint give bit-identical
    /// weights, whatever <see cref="TrainingSettings.NumberOfThreads"/> is.
    /// </summary>
    /// <param name="data">The training rows, in memory or streamed; their target width must fit the settings' output kind.</param>
    /// <param name="settings">The resolved settings.</param>
    /// <param name="onEpoch">Called once at the end of every epoch with its record.</param>
    /// <param name="checkAlive">Called before every minibatch; may throw (e.g. <see cref="OperationCanceledException"/>) to abort, and the exception propagates.</param>
    /// <param name="validation">
    /// Validation rows whose mean loss is recorded after every epoch; with <see cref="TrainingSettings.EarlyStopping"/> their
    /// score also decides stopping. Without them, early stopping holds out <see cref="TrainingSettings.ValidationFraction"/>
    /// of <paramref name="data"/>.
    /// </param>
    /// <param name="resume">
    /// A checkpoint to continue from: with optimizer and generator state, exactly where it stopped; with only a network,
    /// from its parameters (a fresh optimizer). <see cref="TrainingSettings.MaximumNumberOfEpochs"/> more epochs are run.
    /// Null draws a fresh Glorot initialisation from the seed.
    /// </param>
    /// <param name="standardization">
    /// The standardisation of the inputs, or null to train on them as they are. The rows of <paramref name="data"/> and
    /// <paramref name="validation"/> are standardised (in place in memory, as they are read when streamed; sparse rows are
    /// only scaled, their centring is the first layer's), and the network is trained, and returned, in standardised units (see <see cref="InputStandardization.Fold"/>).
    /// </param>
    /// <param name="prepared">
    /// For a new training, the network, gradient and optimizer <see cref="TrainingPreparation"/> made for these
    /// <paramref name="settings"/> (the same bits as drawing them here); null to make them here.
    /// </param>
    /// <returns>The trained network, the history, why training stopped and a checkpoint to continue from.</returns>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite (the message names the epoch).</exception>
    public static TrainingResult Train(
        ITrainingRows data,
        TrainingSettings settings,
        Action<EpochRecord>? onEpoch = null,
        Action? checkAlive = null,
        ITrainingRows? validation = null,
        TrainingCheckpoint? resume = null,
        InputStandardization? standardization = null,
        PreparedTraining? prepared = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        if (validation is not null && validation.IsSparse != data.IsSparse)
        {
            throw new ArgumentException("The validation rows must be stored like the training rows (both dense or both sparse).", nameof(validation));
        }

        if (standardization is not null)
        {
            data.Standardize(standardization);
            validation?.Standardize(standardization);
        }

        long start = Stopwatch.GetTimestamp();
        var random = new SeededRandom(settings.Seed);
        Network network = prepared is null ? PrepareNetwork(data, settings, resume?.Network, random) : Adopt(prepared, data, settings, resume, random);
        if (resume?.RandomState is { } state)
        {
            random.SetState(state);
        }

        if (settings.EarlyStopping && validation is null)
        {
            // A generator of its own, so that the held-out rows do not depend on how far training has got:
            // a resumed training holds out the same rows as the training it continues.
            // Stratified by class for one classification target, as scikit-learn; not for several (multilabel), which it
            // does not stratify either.
            var splitter = new SeededRandom(unchecked(settings.Seed ^ 0x5EED5EED));
            bool stratify = settings.OutputKind != OutputKind.Identity && network.TargetWidth == 1;
            (data, validation) = data.HoldOut(settings.ValidationFraction, stratify, splitter);
        }

        CheckData(data, network, nameof(data));
        if (validation is not null)
        {
            CheckData(validation, network, nameof(validation));
        }

        ISolver solver = settings.Solver == SolverKind.Lbfgs ? new LbfgsSolver() : new StochasticSolver();
        float[] gradient = prepared?.Gradient ?? LargeArrays.Allocate<float>(network.ParameterCount);
        if (!HoldsFirstLayerTransposed(data.IsSparse, network.LayerOutputs(0)))
        {
            TrainingResult trainedAsIs = solver.Train(new TrainingRun(data, settings, network, random, resume, onEpoch, checkAlive, validation, start, null, false, gradient, prepared?.Optimizer, prepared?.BestParameters));
            return trainedAsIs with { Spare = gradient };
        }

        // The first layer is trained with its weights (and the optimizer's state of them) transposed. A new network was drawn
        // that way; a continued one is transposed here. The gradient buffer is free before and after training: it holds the
        // copies the transpositions need.
        SparseFirstLayer? sparse = data.IsSparse
            ? new SparseFirstLayer(network, standardization?.Shift(), lazy: settings.LazySparseUpdates && settings.Solver != SolverKind.Lbfgs)
            : null;
        Span<float> scratch = gradient.AsSpan(0, network.WeightCount(0));
        if (resume is not null)
        {
            FirstLayerLayout.Transpose(network.Parameters, network, toTransposed: true, scratch);
        }

        TrainingCheckpoint? transposedResume = resume?.Optimizer is { } resumedState
            ? resume.WithOptimizer(Transposed(resumedState with { Buffers = [.. resumedState.Buffers.Select(LargeArrays.Copy)] }, network, true, scratch))
            : resume;
        TrainingResult result = solver.Train(new TrainingRun(data, settings, network, random, transposedResume, onEpoch, checkAlive, validation, start, sparse, true, gradient, prepared?.Optimizer, prepared?.BestParameters));
        FirstLayerLayout.Transpose(network.Parameters, network, toTransposed: false, scratch);
        if (result.Checkpoint.Optimizer is { } trained)
        {
            Transposed(trained, network, toTransposed: false, scratch); // the finished optimizer's own buffers, transposed in place
        }

        return result with { Spare = gradient };
    }

    /// <summary>
    /// Whether training holds the first layer's weights transposed, [inputs × outputs]: always for sparse rows (their kernels
    /// need it); for dense rows when the layer has at least <see cref="TransposedFirstLayerOutputs"/> outputs, where the
    /// broadcast tiles that read that layout run its forward product faster than the dot-product tiles (measured: 784 → 256 at
    /// batch 128, 1.4× on AVX-512); for narrower layers they waste most of a panel, and the dot-product tiles win.
    /// </summary>
    /// <param name="sparse">Whether the rows are sparse.</param>
    /// <param name="firstLayerOutputs">Outputs of the first layer.</param>
    /// <returns>Whether the first layer is trained transposed.</returns>
    internal static bool HoldsFirstLayerTransposed(bool sparse, int firstLayerOutputs) =>
        sparse || firstLayerOutputs >= TransposedFirstLayerOutputs;

    /// <summary>The narrowest dense first layer trained transposed (one AVX-512 panel of 4 vectors).</summary>
    internal const int TransposedFirstLayerOutputs = 64;

    /// <summary>Transposes the first weight block of every buffer of <paramref name="state"/> in place; returns the state.</summary>
    private static OptimizerState Transposed(OptimizerState state, Network network, bool toTransposed, Span<float> scratch)
    {
        foreach (float[] buffer in state.Buffers)
        {
            FirstLayerLayout.Transpose(buffer, network, toTransposed, scratch);
        }

        return state;
    }

    /// <summary>
    /// Clones and checks the network to continue, or creates and initialises a new one from <paramref name="random"/>;
    /// a new network's first layer is drawn straight into the layout training holds it in (the same weights).
    /// </summary>
    private static Network PrepareNetwork(ITrainingRows data, TrainingSettings settings, Network? initial, SeededRandom random)
    {
        if (initial is null)
        {
            var fresh = new Network(data.InputSize, settings.HiddenLayerSizes, settings.OutputSize, settings.Activation, settings.OutputKind);
            GlorotInitializer.Initialize(fresh, random, transposedFirstLayer: HoldsFirstLayerTransposed(data.IsSparse, fresh.LayerOutputs(0)));
            return fresh;
        }

        int[] sizes = [data.InputSize, .. settings.HiddenLayerSizes, settings.OutputSize];
        if (!initial.HasLayerSizes(sizes) || initial.Activation != settings.Activation || initial.OutputKind != settings.OutputKind)
        {
            throw new ArgumentException(
                "The network to continue has other layer sizes, activation or output kind than the data and settings describe.", nameof(initial));
        }

        // In the current prediction form: a GELU model of a file before format 0x00010005 continues into one that predicts as
        // training computes (the bits of a Clone otherwise).
        return Network.FromParameters(sizes, settings.Activation, settings.OutputKind, initial.Parameters);
    }

    /// <summary>
    /// The network <see cref="TrainingPreparation"/> drew for a new training, with <paramref name="random"/> put in the state
    /// the drawing left it in; throws when it was prepared for other settings, a warm start or the other first-layer layout.
    /// </summary>
    private static Network Adopt(PreparedTraining prepared, ITrainingRows data, TrainingSettings settings, TrainingCheckpoint? resume, SeededRandom random)
    {
        Network network = prepared.Network;
        if (resume is not null || !prepared.Settings.Equals(settings) || network.InputSize != data.InputSize ||
            prepared.TransposedFirstLayer != HoldsFirstLayerTransposed(data.IsSparse, network.LayerOutputs(0)))
        {
            throw new ArgumentException("The prepared network was prepared for another training (settings, inputs, layout, or a warm start).", nameof(prepared));
        }

        random.SetState(prepared.RandomState);
        return network;
    }

    /// <summary>Throws unless <paramref name="data"/> fits the network's input size and target width.</summary>
    private static void CheckData(ITrainingRows data, Network network, string name)
    {
        if (data.InputSize != network.InputSize)
        {
            throw new ArgumentException($"The data has {data.InputSize} features but the network expects {network.InputSize}.", name);
        }

        if (data.TargetWidth != network.TargetWidth)
        {
            throw new ArgumentException(
                $"The data has {data.TargetWidth} target values per row but output kind {network.OutputKind} with {network.OutputSize} outputs needs {network.TargetWidth}.",
                name);
        }
    }
}
