using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>Per-row sample weights in the loss and gradient.</summary>
public class SampleWeightTests
{
    /// <summary>
    /// Full batch: giving row 1 weight 2 (others 1) yields the same loss and gradient as the
    /// unweighted batch with row 1 duplicated, L2 term included (both normalise by 5).
    /// Tolerance 1e-6: the two computations sum the same float terms in a different order.
    /// </summary>
    [Fact]
    public void WeightTwoEqualsDuplicatedRow()
    {
        Network network = Network.CreateInitialized(3, [4], 3, ActivationKind.Tanh, OutputKind.Softmax, seed: 21);
        var random = new SeededRandom(22);
        float[] x = TestData.Uniform(random, 4 * 3);
        float[] y = [0f, 2f, 1f, 2f];
        float[] xDup = [.. x.AsSpan(0, 6), .. x.AsSpan(3, 3), .. x.AsSpan(6, 6)];
        float[] yDup = [0f, 2f, 2f, 1f, 2f];

        var weightedGradient = new float[network.ParameterCount];
        var duplicatedGradient = new float[network.ParameterCount];
        double weighted = new BackpropWorkspace(network, 4).ComputeLossAndGradient(x, y, 4, 0.05f, weightedGradient, [1f, 2f, 1f, 1f]);
        double duplicated = new BackpropWorkspace(network, 5).ComputeLossAndGradient(xDup, yDup, 5, 0.05f, duplicatedGradient);

        Assert.Equal(duplicated, weighted, 1e-6);
        for (int i = 0; i < weightedGradient.Length; i++)
        {
            Assert.Equal(duplicatedGradient[i], weightedGradient[i], 1e-6);
        }
    }

    /// <summary>All-ones weights give exactly the unweighted result; all-zero weights are rejected.</summary>
    [Fact]
    public void UnitWeightsMatchUnweighted()
    {
        Network network = Network.CreateInitialized(2, [3], 1, ActivationKind.Relu, OutputKind.Identity, seed: 5);
        float[] x = [0.5f, -1f, 1f, 2f];
        float[] y = [1f, -1f];
        var g1 = new float[network.ParameterCount];
        var g2 = new float[network.ParameterCount];
        var workspace = new BackpropWorkspace(network, 2);
        double unweighted = workspace.ComputeLossAndGradient(x, y, 2, 0.1f, g1);
        double ones = workspace.ComputeLossAndGradient(x, y, 2, 0.1f, g2, [1f, 1f]);
        Assert.Equal(unweighted, ones);
        Assert.Equal(g1, g2);
        Assert.Throws<ArgumentException>(() => workspace.ComputeLossAndGradient(x, y, 2, 0.1f, g2, [0f, 0f]));
    }
}
