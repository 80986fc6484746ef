using System.Diagnostics;
using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Sparse;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Training.Solvers;

/// <summary>
/// Minibatch training with an <see cref="IOptimizer"/> (SGD or Adam), scikit-learn's <c>_fit_stochastic</c>: each
/// epoch reshuffles the rows, takes one optimizer step per minibatch, reports, and applies the schedule and the stopping
/// rule (on the training loss, or with early stopping on the validation score, restoring the best epoch's weights).
/// </summary>
internal sealed class StochasticSolver : ISolver
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TrainingResult Train(TrainingRun run)
    {
        (ITrainingRows data, TrainingSettings settings, Network network, SeededRandom random, TrainingCheckpoint? resume,
            Action<EpochRecord>? onEpoch, Action? checkAlive, ITrainingRows? validation, long start, SparseFirstLayer? sparse, bool transposed, float[] gradient, IOptimizer? prepared,
            float[]? preparedBest) = run;

        int batchSize = (int)Math.Min(settings.BatchSize, data.Rows);
        Dropout? dropout = settings.DropoutRate > 0 ? new Dropout(settings.DropoutRate, random, network, batchSize) : null;
        var workspace = new BackpropWorkspace(network, batchSize, settings.NumberOfThreads, dropout, sparse, transposed);
        using IMinibatchSource batches = data.Batches(batchSize, settings.Shuffle, random, settings.NumberOfThreads);
        IOptimizer optimizer = prepared ?? CreateOptimizer(settings, network.ParameterCount);
        if (resume?.Optimizer is { } optimizerState)
        {
            optimizer.SetState(optimizerState);
        }

        var schedule = new LearningRateController(settings, resume);
        var history = new List<EpochRecord>(Math.Min((resume?.History.Count ?? 0) + settings.MaximumNumberOfEpochs, 4096));
        history.AddRange(resume?.History ?? []);
        float[]? bestParameters = settings.EarlyStopping ? BestBuffer(network.Parameters, preparedBest) : null;
        float l2 = (float)settings.L2Regularization;
        int[] weightRanges = RawGradient.WeightRangesOf(network);
        long samplesSeen = resume?.SamplesSeen ?? 0;
        int firstEpoch = history.Count + 1;
        TimeSpan before = history.Count == 0 ? TimeSpan.Zero : history[^1].Elapsed;
        StopReason reason = StopReason.EpochLimit;

        for (int epoch = firstEpoch; epoch < firstEpoch + settings.MaximumNumberOfEpochs; epoch++)
        {
            double learningRate = schedule.Current;
            batches.StartEpoch();
            double accumulated = 0;
            while (batches.Next(out Minibatch batch))
            {
                checkAlive?.Invoke();
                double batchWeight = batch.WeightSum;
                if (batchWeight == 0)
                {
                    continue; // Only zero-weight rows: nothing to learn from this batch.
                }

                // Dense rows leave the gradient raw, and the optimizer finishes it (L2 term, 1 / batch weight) in its own pass;
                // a sparse first layer finishes its own.
                float scale = 0f;
                double batchLoss = sparse is null
                    ? workspace.ComputeLossAndRawGradient(batch.Inputs, batch.Targets, l2, gradient, batch.Weights, out scale)
                    : workspace.ComputeLossAndGradient(batch.Inputs, batch.Targets, l2, gradient, batch.Weights);
                Divergence.ThrowIfNotFinite(batchLoss, epoch);
                accumulated += batchLoss * batchWeight;
                if (sparse is null)
                {
                    optimizer.Step(network.Parameters, gradient, learningRate, new RawGradient(weightRanges, l2, scale));
                }
                else if (sparse.Lazy)
                {
                    // Lazy: the first layer's rows of the inputs this batch holds, and everything after the first weight block.
                    optimizer.Step(network.Parameters, gradient, learningRate, new ParameterSubset(sparse.Touched, network.LayerOutputs(0), network.BiasOffset(0)));
                }
                else
                {
                    optimizer.Step(network.Parameters, gradient, learningRate);
                }
            }

            samplesSeen += batches.EpochRows;
            double epochLoss = accumulated / batches.EpochWeight;
            Divergence.ThrowIfNotFinite(epochLoss, epoch);
            // The score comes from the same pass as the loss: it is reported every epoch, and decides with early stopping.
            (double Loss, double Score)? measured = validation is null ? null : Evaluation.Evaluate(workspace, validation, withScore: true);
            var report = new EpochRecord(epoch, epochLoss, measured?.Loss, measured?.Score, learningRate, before + Stopwatch.GetElapsedTime(start));
            history.Add(report);
            onEpoch?.Invoke(report);

            double criterion = settings.EarlyStopping ? -measured!.Value.Score : epochLoss;
            StopReason? stop = schedule.EndEpoch(criterion, samplesSeen, out bool isBest);
            if (isBest && bestParameters is not null)
            {
                network.Parameters.CopyTo(bestParameters, 0);
            }

            if (stop is { } stopReason)
            {
                reason = stopReason;
                break;
            }
        }

        if (bestParameters is not null)
        {
            bestParameters.CopyTo(network.Parameters, 0); // scikit-learn restores the best validation epoch's weights
        }

        var checkpoint = new TrainingCheckpoint
        {
            Network = network,
            Optimizer = optimizer.GetState(),
            RandomState = random.GetState(),
            SamplesSeen = samplesSeen,
            LearningRate = schedule.Current,
            BestCriterion = schedule.BestCriterion,
            NoImprovementCount = schedule.NoImprovementCount,
            History = history,
        };
        return new TrainingResult(network, history, reason, checkpoint);
    }

    /// <summary>The parameters copied into <paramref name="prepared"/> when it fits, else into a new array.</summary>
    private static float[] BestBuffer(float[] parameters, float[]? prepared)
    {
        if (prepared is null || prepared.Length != parameters.Length)
        {
            return LargeArrays.Copy(parameters);
        }

        parameters.AsSpan().CopyTo(prepared);
        return prepared;
    }

    /// <summary>The engine optimizer the settings name.</summary>
    internal static IOptimizer CreateOptimizer(TrainingSettings settings, int parameterCount) => settings.Solver switch
    {
        SolverKind.Sgd => new SgdOptimizer(parameterCount, settings.Momentum, settings.UseNesterovMomentum),
        SolverKind.Adam => new AdamOptimizer(parameterCount, settings.Beta1, settings.Beta2, settings.Epsilon) { Threads = settings.NumberOfThreads },
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Solver, "Minibatch training runs Sgd or Adam; L-BFGS is trained by LbfgsSolver."),
    };
}
