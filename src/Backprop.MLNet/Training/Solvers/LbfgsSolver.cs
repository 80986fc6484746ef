using System.Diagnostics;
using System.Numerics.Tensors;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Lbfgs;
using Backprop.MLNet.Engine.Sparse;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Training.Solvers;

/// <summary>
/// Full-batch training with L-BFGS, scikit-learn's <c>solver='lbfgs'</c>: the loss of all rows (with the L2 penalty)
/// is minimised by <see cref="LbfgsMinimizer"/>, with <c>max_iter</c> = <see cref="TrainingSettings.MaximumNumberOfEpochs"/>,
/// <c>max_fun</c> = <see cref="TrainingSettings.MaximumNumberOfLossEvaluations"/>, <c>gtol</c> = <see cref="TrainingSettings.Tolerance"/>
/// on the largest gradient component, and scipy's default <c>ftol</c> (1e7·machine epsilon) on the relative change of the loss.
/// One epoch report per accepted L-BFGS iteration (scikit-learn's <c>n_iter_</c>). Batch size, learning rate, momentum and
/// the no-improvement rule do not apply.
/// </summary>
internal sealed class LbfgsSolver : ISolver
{
    /// <summary>scipy's default factr (1e7) times double machine epsilon.</summary>
    public const double FunctionTolerance = 1e7 * 2.220446049250313e-16;

    /// <summary>Rows per forward/backward pass: the full batch is evaluated in chunks of at most this many rows.</summary>
    public const int ChunkRows = 4096;

    /// <summary>Trains the run's network in place on all rows at once.</summary>
    /// <param name="run">The prepared training.</param>
    /// <returns>The trained network, one report per iteration, why it stopped.</returns>
    public TrainingResult Train(TrainingRun run)
    {
        (ITrainingRows data, TrainingSettings settings, Network network, _, TrainingCheckpoint? resume,
            Action<EpochRecord>? onEpoch, Action? checkAlive, ITrainingRows? validation, long start, SparseFirstLayer? sparse, bool transposed, float[] chunkGradient, _, _) = run;
        var workspace = new BackpropWorkspace(network, (int)Math.Min(data.Rows, ChunkRows), settings.NumberOfThreads, sparse: sparse, transposedFirstLayer: transposed);
        using IMinibatchSource chunks = data.Batches(workspace.MaxRows, shuffle: false, random: null);
        float l2 = (float)settings.L2Regularization;
        var history = new List<EpochRecord>(resume?.History ?? []);
        int firstEpoch = history.Count;
        TimeSpan before = history.Count == 0 ? TimeSpan.Zero : history[^1].Elapsed;

        double Objective(ReadOnlySpan<float> parameters, Span<float> gradient)
        {
            parameters.CopyTo(network.Parameters);
            gradient.Clear();
            double sum = 0;
            chunks.StartEpoch();
            while (chunks.Next(out Minibatch chunk))
            {
                checkAlive?.Invoke(); // a streamed pass can be long
                double chunkWeight = chunk.WeightSum;
                if (chunkWeight == 0)
                {
                    continue;
                }

                double loss = workspace.ComputeLossAndGradient(chunk.Inputs, chunk.Targets, 0f, chunkGradient, chunk.Weights);
                sum += loss * chunkWeight;
                TensorPrimitives.MultiplyAdd(chunkGradient, (float)(chunkWeight / data.TotalWeight), gradient, gradient);
            }

            // The L2 term over all weights (not biases), divided by the total weight as scikit-learn divides by n_samples.
            double squares = 0;
            for (int l = 0; l < network.LayerCount; l++)
            {
                ReadOnlySpan<float> w = network.WeightsOf(l);
                squares += TensorPrimitives.Dot(w, w);
                Span<float> g = gradient.Slice(network.WeightOffset(l), network.WeightCount(l));
                TensorPrimitives.MultiplyAdd(w, (float)(l2 / data.TotalWeight), g, g);
            }

            return (sum + (0.5 * l2 * squares)) / data.TotalWeight;
        }

        void OnIteration(int iteration, double loss)
        {
            // The accepted point of a strong-Wolfe line search is the last one evaluated, so the network holds it now.
            Divergence.ThrowIfNotFinite(loss, firstEpoch + iteration);
            (double Loss, double Score)? measured = validation is null ? null : Evaluation.Evaluate(workspace, validation, withScore: true);
            var report = new EpochRecord(firstEpoch + iteration, loss, measured?.Loss, measured?.Score, 0, before + Stopwatch.GetElapsedTime(start));
            history.Add(report);
            onEpoch?.Invoke(report);
        }

        var minimizer = new LbfgsMinimizer(network.ParameterCount);
        float[] parameters = LargeArrays.Copy(network.Parameters);
        LbfgsResult result = minimizer.Minimize(parameters, Objective, settings.MaximumNumberOfEpochs, settings.MaximumNumberOfLossEvaluations,
            settings.Tolerance, FunctionTolerance, OnIteration, checkAlive);
        if (result.StopReason == LbfgsStopReason.NonFiniteStart)
        {
            Divergence.ThrowIfNotFinite(double.NaN, firstEpoch + 1);
        }

        parameters.CopyTo(network.Parameters, 0);

        StopReason reason = result.StopReason switch
        {
            LbfgsStopReason.GradientTolerance or LbfgsStopReason.FunctionTolerance => StopReason.Converged,
            LbfgsStopReason.EvaluationLimit => StopReason.EvaluationLimit,
            LbfgsStopReason.LineSearchFailed => StopReason.LineSearchFailed,
            _ => StopReason.EpochLimit,
        };
        var checkpoint = new TrainingCheckpoint { Network = network, History = history };
        return new TrainingResult(network, history, reason, checkpoint);
    }
}
