using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine.Outputs;

/// <summary>Output activations, their losses and the output error δ.</summary>
public class OutputLayerTests
{
    /// <summary>
    /// For every output kind the error at the output logits is δ = ŷ − y (with y one-hot for
    /// softmax). Exact comparison: the engine computes the same single float subtraction.
    /// </summary>
    [Theory]
    [InlineData((int)OutputKind.Sigmoid)]
    [InlineData((int)OutputKind.Softmax)]
    [InlineData((int)OutputKind.Identity)]
    public void OutputDeltaIsPredictionMinusTarget(int outputKind)
    {
        var kind = (OutputKind)outputKind;
        const int rows = 6;
        const int outputs = 3;
        var random = new SeededRandom(5);
        Network network = Network.CreateInitialized(4, [5], outputs, ActivationKind.Tanh, kind, seed: 3);
        float[] x = TestData.Uniform(random, rows * 4, 2.0);
        float[] y = TestData.Targets(random, kind, rows, outputs);
        var workspace = new BackpropWorkspace(network, rows);
        workspace.ComputeLossAndGradient(x, y, rows, 0f, new float[network.ParameterCount]);

        ReadOnlySpan<float> predicted = workspace.Scratch.LastOutputs;
        ReadOnlySpan<float> delta = workspace.OutputDelta;
        Assert.Equal(rows * outputs, delta.Length);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < outputs; j++)
            {
                float target = kind == OutputKind.Softmax ? (y[r] == j ? 1f : 0f) : y[(r * outputs) + j];
                Assert.Equal(predicted[(r * outputs) + j] - target, delta[(r * outputs) + j]);
            }
        }
    }

    /// <summary>Outputs are σ(z), softmax(z) or z of the raw logits, compared with double formulas to float precision.</summary>
    [Theory]
    [InlineData((int)OutputKind.Sigmoid)]
    [InlineData((int)OutputKind.Softmax)]
    [InlineData((int)OutputKind.Identity)]
    public void OutputsAreTheActivationOfTheLogits(int outputKind)
    {
        var kind = (OutputKind)outputKind;
        float[] logits = [-3f, 0.5f, 2f, 10f, -0.25f, 0f];
        var outputs = new float[logits.Length];
        OutputLayer.For(kind).Activate(logits, outputs, 3);
        for (int r = 0; r < 2; r++)
        {
            double denominator = 0;
            for (int j = 0; j < 3; j++)
            {
                denominator += Math.Exp(logits[(r * 3) + j]);
            }

            for (int j = 0; j < 3; j++)
            {
                double z = logits[(r * 3) + j];
                double expected = kind switch
                {
                    OutputKind.Sigmoid => 1 / (1 + Math.Exp(-z)),
                    OutputKind.Softmax => Math.Exp(z) / denominator,
                    _ => z,
                };
                Assert.Equal(expected, outputs[(r * 3) + j], 1e-6); // float32 rounding of values ≤ 10
            }
        }
    }

    /// <summary>
    /// Extreme logits: the max-subtracted softmax stays finite and exact, and both cross-entropies
    /// are computed from the logits without overflow or log(0).
    /// </summary>
    [Fact]
    public void LossesAreStableForExtremeLogits()
    {
        float[] logits = [1000f, 0f, -1000f];
        var probabilities = new float[3];
        var delta = new float[3];
        SoftmaxCrossEntropyOutput softmax = SoftmaxCrossEntropyOutput.Instance;
        softmax.Activate(logits, probabilities, 3);
        Assert.Equal(1f, probabilities[0]);
        Assert.Equal(0f, probabilities[2]);

        // −ln softmax_2 = logsumexp − z_2 = 1000 + ln(1 + e^−1000 + e^−2000) + 1000 = 2000.
        double loss = softmax.RowLossAndDelta(logits, probabilities, [2f], delta);
        Assert.Equal(2000.0, loss, 1e-9);
        Assert.Equal(-1f, delta[2]);

        // Binary cross-entropy with z = 100: y = 0 costs softplus(100) = 100; y = 1 costs ln(1 + e^−100) ≈ 3.7e-44.
        SigmoidCrossEntropyOutput sigmoid = SigmoidCrossEntropyOutput.Instance;
        var p = new float[1];
        sigmoid.Activate([100f], p, 1);
        Assert.Equal(100.0, sigmoid.RowLossAndDelta([100f], p, [0f], delta), 1e-9);
        double small = sigmoid.RowLossAndDelta([100f], p, [1f], delta);
        Assert.InRange(small, 0.0, 1e-40);
        Assert.Equal(100.0, sigmoid.RowLossAndDelta([-100f], [0f], [1f], delta), 1e-9); // y = 1, z = −100
    }

    /// <summary>Squared error is ½·Σ(ŷ − y)² per row (not divided by the number of outputs).</summary>
    [Fact]
    public void SquaredErrorIsHalfTheSumOverOutputs()
    {
        var delta = new float[2];
        double loss = IdentitySquaredErrorOutput.Instance.RowLossAndDelta([1f, 3f], [1f, 3f], [0f, 1f], delta);
        Assert.Equal(0.5 * ((1 * 1) + (2 * 2)), loss); // 2.5
        Assert.Equal([1f, 2f], delta);
    }

    /// <summary>
    /// Several sigmoid outputs (multilabel) cost the sum over outputs of the binary cross-entropy, not its mean: with
    /// z = [0, ln 3, −ln 3] the probabilities are [1/2, 3/4, 1/4], and all-true targets cost ln 2 + ln 4/3 + ln 4 = ln 32/3.
    /// </summary>
    [Fact]
    public void SigmoidCrossEntropyIsTheSumOverOutputs()
    {
        float[] logits = [0f, MathF.Log(3f), -MathF.Log(3f)];
        var p = new float[3];
        var delta = new float[3];
        SigmoidCrossEntropyOutput.Instance.Activate(logits, p, 3);
        double loss = SigmoidCrossEntropyOutput.Instance.RowLossAndDelta(logits, p, [1f, 1f, 1f], delta);
        Assert.Equal(Math.Log(32.0 / 3.0), loss, 1e-6); // the float logits ln 3 are off by ≤ 6e-8
        Assert.Equal([p[0] - 1f, p[1] - 1f, p[2] - 1f], delta);
    }

    /// <summary>
    /// The batch loss of a multilabel network is scikit-learn's <c>binary_log_loss</c> for a multilabel target: the sum over
    /// every row and label of −[y·ln p + (1 − y)·ln(1 − p)], divided by the number of rows (not by rows × labels). A network
    /// with zero weights predicts σ(b) for every row; with b = [0, ln 3, −ln 3] the rows [1, 1, 1] and [0, 0, 0] each cost
    /// ln 32/3, so the mean is ln 32/3.
    /// </summary>
    [Fact]
    public void MultilabelBatchLossIsScikitLearnsBinaryLogLossPerRow()
    {
        var parameters = new float[(1 * 2) + 2 + (2 * 3) + 3];
        parameters[^2] = MathF.Log(3f);
        parameters[^1] = -MathF.Log(3f);
        Network network = Network.FromParameters([1, 2, 3], ActivationKind.Tanh, OutputKind.Sigmoid, parameters);
        var workspace = new BackpropWorkspace(network, maxRows: 2);
        double loss = workspace.ComputeLoss([0.5f, -1f], [1, 1, 1, 0, 0, 0], rows: 2, l2: 0f);
        Assert.Equal(Math.Log(32.0 / 3.0), loss, 1e-6);
    }

    /// <summary>A softmax target that is not a class index is rejected.</summary>
    [Theory]
    [InlineData(-1f)]
    [InlineData(3f)]
    [InlineData(1.5f)]
    public void SoftmaxRejectsInvalidClassIndex(float target)
    {
        var delta = new float[3];
        Assert.Throws<ArgumentException>(() =>
            SoftmaxCrossEntropyOutput.Instance.RowLossAndDelta([0f, 0f, 0f], [1 / 3f, 1 / 3f, 1 / 3f], [target], delta));
    }

    /// <summary>Target widths: one per output for sigmoid and identity, a single class index for softmax.</summary>
    [Fact]
    public void TargetWidths()
    {
        Assert.Equal(1, OutputLayer.For(OutputKind.Sigmoid).TargetWidth(1));
        Assert.Equal(1, OutputLayer.For(OutputKind.Softmax).TargetWidth(7));
        Assert.Equal(4, OutputLayer.For(OutputKind.Identity).TargetWidth(4));
    }
}
