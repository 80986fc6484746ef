using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>
/// Layers after the first whose forward product runs on a transposed copy of their weights
/// (<see cref="BackpropWorkspace.TransposesForward"/>) give the outputs of the dot-product tiles to rounding, and follow the
/// weights as they change between passes.
/// </summary>
public class TransposedForwardTests
{
    [Fact]
    public void TheRuleTakesShortWideLayersOfLargeEnoughBatchesOnly()
    {
        Assert.True(BackpropWorkspace.TransposesForward(100, 100, 32));
        Assert.True(BackpropWorkspace.TransposesForward(256, 128, 128));
        Assert.False(BackpropWorkspace.TransposesForward(512, 256, 128));
        Assert.False(BackpropWorkspace.TransposesForward(100, 10, 128));
        Assert.False(BackpropWorkspace.TransposesForward(100, 100, 31));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void OutputsMatchTheNetworkAndFollowChangedWeights(int threads)
    {
        // 20 → 100 → 100 → 3: the second layer (100 → 100) goes through the copy.
        Network network = Network.CreateInitialized(20, [100, 100], 3, ActivationKind.Tanh, OutputKind.Softmax, seed: 4);
        const int Rows = 37;
        Assert.True(BackpropWorkspace.TransposesForward(network.LayerInputs(1), network.LayerOutputs(1), Rows));
        float[] x = TestData.Uniform(new SeededRandom(5), Rows * 20);
        var workspace = new BackpropWorkspace(network, Rows, threads);
        for (int pass = 0; pass < 3; pass++)
        {
            float[] actual = workspace.Forward(x, Rows).ToArray();
            float[] expected = network.Forward(x, Rows, network.CreateScratch(Rows)).ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"pass {pass}, output {i}: {actual[i]} against {expected[i]}");
            }

            // New weights for the next pass: a stale copy would give the old outputs.
            Span<float> w = network.WeightsOf(1);
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = -w[i] * 1.5f;
            }
        }
    }
}
