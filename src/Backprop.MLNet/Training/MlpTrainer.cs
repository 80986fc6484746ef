using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Training.Data;
using Backprop.MLNet.Training.Solvers;

namespace Backprop.MLNet.Training;

/// <summary>
/// Minibatch backpropagation training with the semantics of scikit-learn's
/// <c>BaseMultilayerPerceptron._fit_stochastic</c> (solvers <c>'sgd'</c> and <c>'adam'</c>,
/// without early stopping).
/// </summary>
internal static class MlpTrainer
{
    /// <summary>
    /// Trains a network. Each epoch reshuffles the row order (when <see cref="TrainingSettings.Shuffle"/>),
    /// takes one optimizer step per minibatch, and ends with the no-improvement / learning-rate
    /// bookkeeping of <see cref="LearningRateController"/>. Deterministic: the same data, settings
    /// (including <see cref="TrainingSettings.Seed"/>) and initial network give bit-identical weights.
    /// After the first epoch no further allocation happens apart from one <see cref="EpochReport"/> per epoch.
    /// </summary>
    /// <param name="data">The training data; its target width must match the output kind.</param>
    /// <param name="settings">The hyper-parameters (validated here).</param>
    /// <param name="initial">
    /// Optional network to continue from (parameters-only warm start); it must have the architecture described by
    /// the data and settings. It is cloned, never modified. <see langword="null"/> draws a fresh
    /// Glorot initialisation from the seed (unless <paramref name="resume"/> is given).
    /// </param>
    /// <param name="onEpoch">Called once at the end of every epoch with its report.</param>
    /// <param name="checkAlive">Called before every minibatch; may throw (e.g. <see cref="OperationCanceledException"/>) to abort, and the exception propagates.</param>
    /// <param name="validation">
    /// Optional validation data whose mean loss (without the L2 penalty) is reported after every epoch; with
    /// <see cref="TrainingSettings.EarlyStopping"/> its score also decides stopping. Without it, early stopping
    /// holds out <see cref="TrainingSettings.ValidationFraction"/> of <paramref name="data"/>.
    /// </param>
    /// <param name="resume">
    /// A checkpoint of an earlier training to continue exactly (network, optimizer state, shuffling state,
    /// counters, history); <see cref="TrainingSettings.MaximumNumberOfEpochs"/> more epochs are run.
    /// </param>
    /// <returns>The trained network, the per-epoch history, why training stopped and a checkpoint to continue from.</returns>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite (the message names the epoch).</exception>
    public static TrainingResult Train(
        TrainingData data,
        TrainingSettings settings,
        Network? initial = null,
        Action<EpochReport>? onEpoch = null,
        Action? checkAlive = null,
        TrainingData? validation = null,
        TrainingCheckpoint? resume = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();

        long start = Stopwatch.GetTimestamp();
        var random = new SeededRandom(settings.Seed);
        Network network = PrepareNetwork(data, settings, resume?.Network ?? initial, random);
        if (resume?.RandomState is { } state)
        {
            random.SetState(state);
        }

        if (settings.EarlyStopping && validation is null)
        {
            // A generator of its own, so that the held-out rows do not depend on how far training has got:
            // a resumed training holds out the same rows as the training it continues.
            var splitter = new SeededRandom(unchecked(settings.Seed ^ 0x5EED5EED));
            (data, validation) = ValidationSplit.Split(data, settings.ValidationFraction, settings.OutputKind != OutputKind.Identity, splitter);
        }

        CheckData(data, network, nameof(data));
        if (validation is not null)
        {
            CheckData(validation, network, nameof(validation));
        }

        var run = new TrainingRun(data, settings, network, random, resume, onEpoch, checkAlive, validation, start);
        ISolver solver = settings.Solver == Solver.Lbfgs ? new LbfgsSolver() : new StochasticSolver();
        return solver.Train(run);
    }

    /// <summary>Creates the optimizer named by the settings.</summary>
    internal static IOptimizer CreateOptimizer(TrainingSettings settings, int parameterCount) => settings.Solver switch
    {
        Solver.Sgd => new SgdOptimizer(parameterCount, settings.Momentum, settings.UseNesterovMomentum),
        Solver.Adam => new AdamOptimizer(parameterCount, settings.Beta1, settings.Beta2, settings.Epsilon) { Threads = Math.Max(1, settings.NumberOfThreads) },
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Solver, "Stochastic training runs Sgd or Adam; L-BFGS is trained by LbfgsSolver."),
    };

    /// <summary>Clones and checks the warm-start network, or creates and initialises a new one from <paramref name="random"/>.</summary>
    internal static Network PrepareNetwork(TrainingData data, TrainingSettings settings, Network? initial, SeededRandom random)
    {
        var fresh = new Network(data.InputSize, settings.HiddenLayerSizes, settings.OutputSize, settings.Activation, settings.OutputKind);
        if (initial is null)
        {
            fresh.InitializeGlorot(random);
            return fresh;
        }

        if (!initial.HasSameArchitecture(fresh))
        {
            throw new ArgumentException(
                "The initial network's layer sizes, activation or output kind differ from those of the data and settings.", nameof(initial));
        }

        return initial.Clone();
    }

    /// <summary>Throws unless <paramref name="data"/> fits the network's input size and target width.</summary>
    internal static void CheckData(TrainingData data, Network network, string name)
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

    /// <summary>(Weighted) mean loss of <paramref name="data"/> without the L2 penalty, evaluated in batches of the workspace size.</summary>
    internal static double MeanLoss(BackpropWorkspace workspace, TrainingData data)
    {
        int inputs = data.InputSize;
        int targetWidth = data.TargetWidth;
        double sum = 0;
        for (int start = 0; start < data.Rows; start += workspace.MaxRows)
        {
            int rows = Math.Min(workspace.MaxRows, data.Rows - start);
            ReadOnlySpan<float> weights = data.Weights is null ? default : data.Weights.AsSpan(start, rows);
            double weight = rows;
            if (!weights.IsEmpty)
            {
                weight = 0;
                foreach (float w in weights)
                {
                    weight += w;
                }

                if (weight == 0)
                {
                    continue;
                }
            }

            double loss = workspace.ComputeLoss(
                data.Features.AsSpan(start * inputs, rows * inputs), data.Targets.AsSpan(start * targetWidth, rows * targetWidth), rows, 0f, weights);
            sum += loss * weight;
        }

        return sum / data.TotalWeight;
    }

    /// <summary>Throws the divergence error when <paramref name="loss"/> is NaN or infinite.</summary>
    internal static void ThrowIfNotFinite(double loss, int epoch)
    {
        if (!double.IsFinite(loss))
        {
            throw new InvalidOperationException(string.Format(
                CultureInfo.InvariantCulture,
                "Training diverged in epoch {0}: the training loss became {1}. Lower the LearningRate or normalize the features (for example to zero mean and unit variance).",
                epoch,
                loss));
        }
    }
}
