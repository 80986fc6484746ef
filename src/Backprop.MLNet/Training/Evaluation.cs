using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Training;

/// <summary>
/// What the network does on a data set, with the current parameters: the mean loss (reported for validation data) and the
/// score that early stopping maximises, scikit-learn's: accuracy for classifiers, R² (averaged over outputs) for regression.
/// </summary>
internal static class Evaluation
{
    /// <summary>(Weighted) mean loss of <paramref name="data"/> without the L2 penalty, evaluated in batches of the workspace size.</summary>
    /// <param name="workspace">The workspace of the network being trained.</param>
    /// <param name="data">The rows to evaluate.</param>
    public static double MeanLoss(BackpropWorkspace workspace, TrainingData data)
    {
        int targetWidth = data.TargetWidth;
        double sum = 0;
        for (int start = 0; start < data.Rows; start += workspace.MaxRows)
        {
            int rows = Math.Min(workspace.MaxRows, data.Rows - start);
            ReadOnlySpan<float> weights = data.Weights is null ? default : data.Weights.AsSpan(start, rows);
            double weight = weights.IsEmpty ? rows : Sum(weights);
            if (weight == 0)
            {
                continue;
            }

            double loss = workspace.ComputeLoss(data.Batch(start, rows), data.Targets.AsSpan(start * targetWidth, rows * targetWidth), 0f, weights);
            sum += loss * weight;
        }

        return sum / data.TotalWeight;
    }

    /// <summary>Scores the network on <paramref name="data"/>, in batches of the workspace's size.</summary>
    public static double Score(BackpropWorkspace workspace, TrainingData data)
    {
        Network network = workspace.Network;
        return network.OutputKind == OutputKind.Identity ? RSquared(workspace, data) : Accuracy(workspace, data);
    }

    private static double Accuracy(BackpropWorkspace workspace, TrainingData data)
    {
        int outputs = workspace.Network.OutputSize;
        double correct = 0, total = 0;
        ForEachBatch(workspace, data, (predicted, start, rows) =>
        {
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> p = predicted.Slice(r * outputs, outputs);
                float target = data.Targets[start + r];
                bool right = outputs == 1 ? (p[0] > 0.5f) == (target > 0.5f) : ArgMax(p) == (int)target;
                double w = data.Weights?[start + r] ?? 1.0;
                total += w;
                correct += right ? w : 0;
            }
        });
        return total > 0 ? correct / total : 0;
    }

    private static double RSquared(BackpropWorkspace workspace, TrainingData data)
    {
        int outputs = workspace.Network.OutputSize;
        var mean = new double[outputs];
        var residual = new double[outputs];
        var totalSquares = new double[outputs];
        double weightSum = 0;
        for (int i = 0; i < data.Rows; i++)
        {
            double w = data.Weights?[i] ?? 1.0;
            weightSum += w;
            for (int o = 0; o < outputs; o++)
            {
                mean[o] += w * data.Targets[(i * outputs) + o];
            }
        }

        for (int o = 0; o < outputs; o++)
        {
            mean[o] /= weightSum;
        }

        ForEachBatch(workspace, data, (predicted, start, rows) =>
        {
            for (int r = 0; r < rows; r++)
            {
                double w = data.Weights?[start + r] ?? 1.0;
                for (int o = 0; o < outputs; o++)
                {
                    double y = data.Targets[((start + r) * outputs) + o];
                    residual[o] += w * (y - predicted[(r * outputs) + o]) * (y - predicted[(r * outputs) + o]);
                    totalSquares[o] += w * (y - mean[o]) * (y - mean[o]);
                }
            }
        });
        double score = 0;
        for (int o = 0; o < outputs; o++)
        {
            // scikit-learn's r2_score: a constant target scores 1 if predicted exactly, else 0.
            score += totalSquares[o] > 0 ? 1 - (residual[o] / totalSquares[o]) : residual[o] == 0 ? 1 : 0;
        }

        return score / outputs;
    }

    private delegate void BatchAction(ReadOnlySpan<float> predicted, int start, int rows);

    private static void ForEachBatch(BackpropWorkspace workspace, TrainingData data, BatchAction action)
    {
        for (int start = 0; start < data.Rows; start += workspace.MaxRows)
        {
            int rows = Math.Min(workspace.MaxRows, data.Rows - start);
            action(workspace.Forward(data.Batch(start, rows)), start, rows);
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
}
