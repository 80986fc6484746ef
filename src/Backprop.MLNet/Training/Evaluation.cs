using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Training;

/// <summary>
/// What the network does on a data set, with the current parameters, in one pass over its rows (which may be streamed):
/// the mean loss and the score (both reported for validation data every epoch), the score being the one early stopping
/// maximises, scikit-learn's: accuracy for classifiers (for several sigmoid outputs, multilabel, the subset accuracy: a row
/// counts only when every label is right), R² (averaged over outputs) for regression.
/// </summary>
internal static class Evaluation
{
    /// <summary>Scores the network on <paramref name="data"/>, in batches of the workspace's size.</summary>
    /// <param name="workspace">The workspace of the network being trained.</param>
    /// <param name="data">The rows to score.</param>
    public static double Score(BackpropWorkspace workspace, ITrainingRows data) => Evaluate(workspace, data, withScore: true).Score;

    /// <summary>The mean loss and (when asked) the score of <paramref name="data"/>, from one forward pass over its rows.</summary>
    /// <param name="workspace">The workspace of the network being trained.</param>
    /// <param name="data">The rows to evaluate.</param>
    /// <param name="withScore">Whether to compute the score too (else it is NaN).</param>
    /// <exception cref="InvalidOperationException">The rows are empty or all of weight 0.</exception>
    public static (double MeanLoss, double Score) Evaluate(BackpropWorkspace workspace, ITrainingRows data, bool withScore)
    {
        Network network = workspace.Network;
        ScoreAccumulator? score = !withScore ? null : network.OutputKind switch
        {
            OutputKind.Identity => new RSquaredAccumulator(network.OutputSize),
            OutputKind.Sigmoid when network.OutputSize > 1 => new SubsetAccuracyAccumulator(network.OutputSize),
            _ => new AccuracyAccumulator(network.OutputSize),
        };
        double sum = 0;
        using IMinibatchSource batches = data.Batches(workspace.MaxRows, shuffle: false, random: null);
        batches.StartEpoch();
        while (batches.Next(out Minibatch batch))
        {
            double weight = batch.WeightSum;
            if (weight == 0)
            {
                continue;
            }

            sum += workspace.ComputeLoss(batch.Inputs, batch.Targets, 0f, batch.Weights) * weight;
            score?.Add(workspace.Scratch.LastOutputs, batch.Targets, batch.Weights);
        }

        if (!(batches.EpochWeight > 0))
        {
            throw new InvalidOperationException(
                $"The validation rows are empty or all of weight 0 ({batches.EpochRows} rows): there is nothing to measure the loss on.");
        }

        return (sum / batches.EpochWeight, score?.Result ?? double.NaN);
    }

    /// <summary>Σ of <paramref name="values"/> in double precision.</summary>
    internal static double Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        return sum;
    }

    /// <summary>A score summed batch by batch.</summary>
    private abstract class ScoreAccumulator
    {
        /// <summary>The score of the rows added so far.</summary>
        public abstract double Result { get; }

        /// <summary>Adds a batch: its predictions [rows × outputs], targets and weights (empty when unweighted).</summary>
        public abstract void Add(ReadOnlySpan<float> predicted, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights);
    }

    /// <summary>The (weighted) fraction of rows whose most probable class is the target (probability &gt; 0.5 for one output).</summary>
    private sealed class AccuracyAccumulator(int outputs) : ScoreAccumulator
    {
        private double _correct;
        private double _total;

        public override double Result => _total > 0 ? _correct / _total : 0;

        public override void Add(ReadOnlySpan<float> predicted, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights)
        {
            for (int r = 0; r < targets.Length; r++)
            {
                ReadOnlySpan<float> p = predicted.Slice(r * outputs, outputs);
                float target = targets[r];
                bool right = outputs == 1 ? (p[0] > 0.5f) == (target > 0.5f) : ArgMax(p) == (int)target;
                double w = weights.IsEmpty ? 1.0 : weights[r];
                _total += w;
                _correct += right ? w : 0;
            }
        }

        private static int ArgMax(ReadOnlySpan<float> values)
        {
            int best = 0;
            for (int i = 1; i < values.Length; i++)
            {
                if (values[i] > values[best])
                {
                    best = i;
                }
            }

            return best;
        }
    }

    /// <summary>
    /// Multilabel accuracy as scikit-learn's <c>MLPClassifier.score</c> (<c>accuracy_score</c>) computes it: the (weighted)
    /// fraction of rows whose every label is predicted right (exact match), each label predicted true when its probability
    /// is &gt; 0.5, as for one output.
    /// </summary>
    private sealed class SubsetAccuracyAccumulator(int outputs) : ScoreAccumulator
    {
        private double _correct;
        private double _total;

        public override double Result => _total > 0 ? _correct / _total : 0;

        public override void Add(ReadOnlySpan<float> predicted, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights)
        {
            int rows = targets.Length / outputs;
            for (int r = 0; r < rows; r++)
            {
                bool right = true;
                for (int o = 0; o < outputs && right; o++)
                {
                    right = (predicted[(r * outputs) + o] > 0.5f) == (targets[(r * outputs) + o] > 0.5f);
                }

                double w = weights.IsEmpty ? 1.0 : weights[r];
                _total += w;
                _correct += right ? w : 0;
            }
        }
    }

    /// <summary>
    /// scikit-learn's <c>r2_score</c> averaged over outputs, in one pass: the total sum of squares from the sums of the
    /// targets and of their squares, both taken about the first target seen (so a large common offset cancels exactly).
    /// </summary>
    private sealed class RSquaredAccumulator(int outputs) : ScoreAccumulator
    {
        private readonly double[] _shift = new double[outputs];
        private readonly double[] _sum = new double[outputs];
        private readonly double[] _squares = new double[outputs];
        private readonly double[] _residual = new double[outputs];
        private double _weight;
        private bool _started;

        public override double Result
        {
            get
            {
                double score = 0;
                for (int o = 0; o < outputs; o++)
                {
                    double total = _weight > 0 ? Math.Max(0, _squares[o] - (_sum[o] * _sum[o] / _weight)) : 0;
                    // A constant target scores 1 if predicted exactly, else 0 (as scikit-learn).
                    score += total > 0 ? 1 - (_residual[o] / total) : _residual[o] == 0 ? 1 : 0;
                }

                return score / outputs;
            }
        }

        public override void Add(ReadOnlySpan<float> predicted, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights)
        {
            int rows = targets.Length / outputs;
            if (!_started && rows > 0)
            {
                for (int o = 0; o < outputs; o++)
                {
                    _shift[o] = targets[o];
                }

                _started = true;
            }

            for (int r = 0; r < rows; r++)
            {
                double w = weights.IsEmpty ? 1.0 : weights[r];
                _weight += w;
                for (int o = 0; o < outputs; o++)
                {
                    double y = targets[(r * outputs) + o];
                    double d = y - _shift[o];
                    double e = y - predicted[(r * outputs) + o];
                    _sum[o] += w * d;
                    _squares[o] += w * d * d;
                    _residual[o] += w * e * e;
                }
            }
        }
    }
}
