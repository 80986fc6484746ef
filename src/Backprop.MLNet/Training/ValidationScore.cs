using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Training;

/// <summary>
/// The score early stopping maximises, as scikit-learn's <c>score</c>: the (weighted) accuracy for sigmoid and
/// softmax outputs, and for identity outputs the coefficient of determination R² (averaged over the outputs).
/// </summary>
internal static class ValidationScore
{
    /// <summary>Scores the network on <paramref name="data"/>, in batches of the workspace's size.</summary>
    public static double Compute(BackpropWorkspace workspace, TrainingData data)
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
        int inputs = data.InputSize;
        for (int start = 0; start < data.Rows; start += workspace.MaxRows)
        {
            int rows = Math.Min(workspace.MaxRows, data.Rows - start);
            action(workspace.Forward(data.Features.AsSpan(start * inputs, rows * inputs), rows), start, rows);
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
