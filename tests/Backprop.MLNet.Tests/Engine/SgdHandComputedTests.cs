using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>One SGD step of a tiny network, worked out by hand.</summary>
public class SgdHandComputedTests
{
    /// <summary>
    /// Network 2-2-1, sigmoid hidden, sigmoid output, one row x = (1, 2), y = 1, lr = 0.5,
    /// momentum 0, no L2.
    /// <code>
    /// W1 = [[0.5, −0.5], [0.25, 0.75]], b1 = [0.1, −0.2], W2 = [[1, −1]], b2 = [0.3]
    /// z1 = W1·x + b1 = [0.5 − 1 + 0.1, 0.25 + 1.5 − 0.2] = [−0.4, 1.55]
    /// a1 = σ(z1) = [0.401312340, 0.824913732]
    /// z2 = 0.401312340 − 0.824913732 + 0.3 = −0.123601392
    /// ŷ = σ(z2) = 0.469138932;  loss = −ln ŷ = 0.756856325
    /// δ2 = ŷ − y = −0.530861068
    /// ∂W2 = δ2·a1 = [−0.213041098, −0.437914585],  ∂b2 = δ2 = −0.530861068
    /// δ1 = δ2·W2 ⊙ a1(1 − a1) = [−0.530861068·1·0.240260, −0.530861068·(−1)·0.144433]
    ///    = [−0.127545076, 0.076672830]
    /// ∂W1 = δ1ᵀ·x = [[−0.127545076, −0.255090152], [0.076672830, 0.153345661]],  ∂b1 = δ1
    /// θ ← θ − 0.5·∂θ:
    /// W1 = [[0.563772538, −0.372454924], [0.211663585, 0.673327170]], b1 = [0.163772538, −0.238336415]
    /// W2 = [[1.106520549, −0.781042707]], b2 = [0.565430534]
    /// </code>
    /// </summary>
    [Fact]
    public void OneStepMatchesHandComputation()
    {
        var network = new Network(2, [2], 1, ActivationKind.Sigmoid, OutputKind.Sigmoid);
        float[] initial = [0.5f, -0.5f, 0.25f, 0.75f, 0.1f, -0.2f, 1f, -1f, 0.3f];
        initial.CopyTo(network.Parameters, 0);

        var workspace = new BackpropWorkspace(network, 1);
        var gradient = new float[network.ParameterCount];
        double loss = workspace.ComputeLossAndGradient([1f, 2f], [1f], 1, 0f, gradient);
        Assert.Equal(0.756856325, loss, 1e-6);

        new SgdOptimizer(network.ParameterCount, momentum: 0, nesterov: false).Step(network.Parameters, gradient, 0.5);

        // Tolerance 1e-6: the float32 computation of values of order 1 is accurate to ~1e-7.
        Assert.Equal(0.563772538, network.WeightsOf(0)[0], 1e-6);
        Assert.Equal(-0.372454924, network.WeightsOf(0)[1], 1e-6);
        Assert.Equal(0.211663585, network.WeightsOf(0)[2], 1e-6);
        Assert.Equal(0.673327170, network.WeightsOf(0)[3], 1e-6);
        Assert.Equal(0.163772538, network.BiasesOf(0)[0], 1e-6);
        Assert.Equal(-0.238336415, network.BiasesOf(0)[1], 1e-6);
        Assert.Equal(1.106520549, network.WeightsOf(1)[0], 1e-6);
        Assert.Equal(-0.781042707, network.WeightsOf(1)[1], 1e-6);
        Assert.Equal(0.565430534, network.BiasesOf(1)[0], 1e-6);
    }
}
