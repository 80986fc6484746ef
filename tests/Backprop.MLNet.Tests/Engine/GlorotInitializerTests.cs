using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>scikit-learn's Glorot-uniform initialisation.</summary>
public class GlorotInitializerTests
{
    /// <summary>
    /// Every weight and bias of layer l lies in ±sqrt(factor/(fan_in + fan_out)) with factor 6
    /// (factor 2 for the logistic hidden activation, on every layer), and the draws fill the
    /// interval: the largest |w| of each layer exceeds half the bound (for a layer of n uniform
    /// draws, the chance that all are below half the bound is 2^−n, n ≥ 30 here).
    /// </summary>
    [Theory]
    [InlineData((int)ActivationKind.Relu, 6.0)]
    [InlineData((int)ActivationKind.Tanh, 6.0)]
    [InlineData((int)ActivationKind.Identity, 6.0)]
    [InlineData((int)ActivationKind.Sigmoid, 2.0)]
    public void ParametersLieWithinTheGlorotBound(int activationCode, double factor)
    {
        var activation = (ActivationKind)activationCode;
        Network network = Network.CreateInitialized(20, [30, 10], 3, activation, OutputKind.Softmax, seed: 42);
        for (int l = 0; l < network.LayerCount; l++)
        {
            double bound = Math.Sqrt(factor / (network.LayerInputs(l) + network.LayerOutputs(l)));
            Assert.Equal(bound, GlorotInitializer.Bound(network.LayerInputs(l), network.LayerOutputs(l), activation), 1e-15);
            float limit = (float)bound;
            float maxAbs = 0;
            foreach (float w in network.WeightsOf(l))
            {
                Assert.InRange(Math.Abs(w), 0f, limit);
                maxAbs = Math.Max(maxAbs, Math.Abs(w));
            }

            foreach (float b in network.BiasesOf(l))
            {
                Assert.InRange(Math.Abs(b), 0f, limit);
            }

            Assert.True(maxAbs > 0.5 * bound, $"Layer {l}: max |w| = {maxAbs} is not above half the bound {bound}.");
        }
    }

    /// <summary>The same seed gives the same parameters; another seed gives different ones.</summary>
    [Fact]
    public void InitialisationIsDeterministicPerSeed()
    {
        Network a = Network.CreateInitialized(5, [4], 2, ActivationKind.Relu, OutputKind.Identity, seed: 7);
        Network b = Network.CreateInitialized(5, [4], 2, ActivationKind.Relu, OutputKind.Identity, seed: 7);
        Network c = Network.CreateInitialized(5, [4], 2, ActivationKind.Relu, OutputKind.Identity, seed: 8);
        Assert.Equal(a.Parameters, b.Parameters);
        Assert.NotEqual(a.Parameters, c.Parameters);
    }

    /// <summary>The generator's integers are in range and roughly uniform (each of 4 values 2500 ± 250 times in 10,000 draws, > 5σ).</summary>
    [Fact]
    public void SeededRandomIntegersAreUniform()
    {
        var random = new SeededRandom(1);
        var counts = new int[4];
        for (int i = 0; i < 10_000; i++)
        {
            counts[random.NextInt(4)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 2250, 2750));
    }
}
