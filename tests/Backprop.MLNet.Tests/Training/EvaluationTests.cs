using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training;

/// <summary>The score early stopping maximises, on networks whose predictions are fixed by hand.</summary>
public class EvaluationTests
{
    /// <summary>
    /// A network that predicts the same probabilities for every row: all weights 0, so the outputs are σ of the output
    /// biases. Biases ±2 give probabilities 0.88 and 0.12, far from the 0.5 threshold.
    /// </summary>
    private static BackpropWorkspace Constant(OutputKind kind, params float[] outputBiases)
    {
        int outputs = outputBiases.Length;
        int[] sizes = [1, 2, outputs];
        var parameters = new float[(1 * 2) + 2 + (2 * outputs) + outputs];
        outputBiases.CopyTo(parameters.AsSpan(parameters.Length - outputs));
        return new BackpropWorkspace(Network.FromParameters(sizes, ActivationKind.Tanh, kind, parameters), maxRows: 8);
    }

    /// <summary>
    /// Several sigmoid outputs (multilabel) score scikit-learn's subset accuracy, the fraction of rows with every label right:
    /// predicting [1, 0, 1] for the targets [1,0,1], [1,1,1], [1,0,1], [0,1,0] is right on 2 rows of 4 (0.5), where the
    /// mean of the per-label accuracies would be 8/12.
    /// </summary>
    [Fact]
    public void SeveralSigmoidOutputsScoreTheFractionOfRowsWithEveryLabelRight()
    {
        BackpropWorkspace workspace = Constant(OutputKind.Sigmoid, 2f, -2f, 2f);
        float[] targets = [1, 0, 1, /**/ 1, 1, 1, /**/ 1, 0, 1, /**/ 0, 1, 0];
        var data = new TrainingData(new float[4], targets, rows: 4, inputSize: 1, targetWidth: 3);

        Assert.Equal(0.5, Evaluation.Score(workspace, data), 12);

        // Weighted: the two right rows weigh 1 and 3, the wrong ones 2 and 2 → 4 / 8.
        var weighted = new TrainingData(new float[4], targets, rows: 4, inputSize: 1, targetWidth: 3, weights: [1, 2, 3, 2]);
        Assert.Equal(0.5, Evaluation.Score(workspace, weighted), 12);
        var favoured = new TrainingData(new float[4], targets, rows: 4, inputSize: 1, targetWidth: 3, weights: [3, 1, 3, 1]);
        Assert.Equal(0.75, Evaluation.Score(workspace, favoured), 12);
    }

    /// <summary>One sigmoid output is plain binary accuracy, and softmax outputs the accuracy of the most probable class.</summary>
    [Fact]
    public void OneSigmoidOutputAndSoftmaxOutputsScoreAccuracy()
    {
        var binary = new TrainingData(new float[4], [1, 0, 1, 1], rows: 4, inputSize: 1, targetWidth: 1);
        Assert.Equal(0.75, Evaluation.Score(Constant(OutputKind.Sigmoid, 2f), binary), 12);

        var classes = new TrainingData(new float[4], [2, 0, 2, 1], rows: 4, inputSize: 1, targetWidth: 1);
        Assert.Equal(0.5, Evaluation.Score(Constant(OutputKind.Softmax, 0f, 1f, 2f), classes), 12);
    }
}
