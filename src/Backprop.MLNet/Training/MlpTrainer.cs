using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using Backprop.MLNet.Engine;

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
    /// Optional network to continue from (warm start); it must have the architecture described by
    /// the data and settings. It is cloned, never modified. <see langword="null"/> draws a fresh
    /// Glorot initialisation from the seed.
    /// </param>
    /// <param name="onEpoch">Called once at the end of every epoch with its report.</param>
    /// <param name="checkAlive">Called before every minibatch; may throw (e.g. <see cref="OperationCanceledException"/>) to abort, and the exception propagates.</param>
    /// <param name="validation">Optional validation data whose mean loss (without the L2 penalty) is reported after every epoch; it does not influence training.</param>
    /// <returns>The trained network, the per-epoch history and why training stopped.</returns>
    /// <exception cref="NotSupportedException">The solver is <see cref="Solver.Lbfgs"/>.</exception>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite (the message names the epoch).</exception>
    public static TrainingResult Train(
        TrainingData data,
        TrainingSettings settings,
        Network? initial = null,
        Action<EpochReport>? onEpoch = null,
        Action? checkAlive = null,
        TrainingData? validation = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (settings.Solver == Solver.Lbfgs)
        {
            throw new NotSupportedException("The L-BFGS solver is not implemented yet; use Solver.Sgd or Solver.Adam.");
        }

        long start = Stopwatch.GetTimestamp();
        var random = new SeededRandom(settings.Seed);
        Network network = PrepareNetwork(data, settings, initial, random);
        CheckData(data, network, nameof(data));
        if (validation is not null)
        {
            CheckData(validation, network, nameof(validation));
        }

        int batchSize = Math.Min(settings.BatchSize, data.Rows);
        var workspace = new BackpropWorkspace(network, batchSize);
        var batches = new MinibatchSource(data, batchSize, settings.Shuffle, random);
        var gradient = new float[network.ParameterCount];
        IOptimizer optimizer = CreateOptimizer(settings, network.ParameterCount);
        var schedule = new LearningRateController(settings);
        var history = new List<EpochReport>(Math.Min(settings.MaximumNumberOfEpochs, 4096));
        float l2 = (float)settings.L2Regularization;
        long samplesSeen = 0;
        TrainingStopReason reason = TrainingStopReason.EpochLimit;

        for (int epoch = 1; epoch <= settings.MaximumNumberOfEpochs; epoch++)
        {
            double learningRate = schedule.Current;
            batches.StartEpoch();
            double accumulated = 0;
            for (int b = 0; b < batches.BatchCount; b++)
            {
                checkAlive?.Invoke();
                Minibatch batch = batches.GetBatch(b);
                double batchWeight = batch.WeightSum;
                if (batchWeight == 0)
                {
                    continue; // Only zero-weight rows: nothing to learn from this batch.
                }

                double batchLoss = workspace.ComputeLossAndGradient(batch.Features, batch.Targets, batch.Rows, l2, gradient, batch.Weights);
                ThrowIfNotFinite(batchLoss, epoch);
                accumulated += batchLoss * batchWeight;
                optimizer.Step(network.Parameters, gradient, learningRate);
            }

            samplesSeen += data.Rows;
            double epochLoss = accumulated / data.TotalWeight;
            ThrowIfNotFinite(epochLoss, epoch);

            var report = new EpochReport
            {
                Epoch = epoch,
                TrainingLoss = epochLoss,
                ValidationLoss = validation is null ? null : MeanLoss(workspace, validation),
                LearningRate = learningRate,
                Elapsed = Stopwatch.GetElapsedTime(start),
            };
            history.Add(report);
            onEpoch?.Invoke(report);

            TrainingStopReason? stop = schedule.EndEpoch(epochLoss, samplesSeen);
            if (stop is { } stopReason)
            {
                reason = stopReason;
                break;
            }
        }

        return new TrainingResult(network, history, reason, optimizer, schedule.Current);
    }

    /// <summary>Creates the optimizer named by the settings.</summary>
    private static IOptimizer CreateOptimizer(TrainingSettings settings, int parameterCount) => settings.Solver switch
    {
        Solver.Sgd => new SgdOptimizer(parameterCount, settings.Momentum, settings.UseNesterovMomentum),
        Solver.Adam => new AdamOptimizer(parameterCount, settings.Beta1, settings.Beta2, settings.Epsilon),
        _ => throw new NotSupportedException($"Solver {settings.Solver} is not implemented yet."),
    };

    /// <summary>Clones and checks the warm-start network, or creates and initialises a new one from <paramref name="random"/>.</summary>
    private static Network PrepareNetwork(TrainingData data, TrainingSettings settings, Network? initial, SeededRandom random)
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
    private static void CheckData(TrainingData data, Network network, string name)
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
    private static double MeanLoss(BackpropWorkspace workspace, TrainingData data)
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
    private static void ThrowIfNotFinite(double loss, int epoch)
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
