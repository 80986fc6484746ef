
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Tests.Training;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>Inverted dropout: the gradient of the masked network, seeded masks, and no dropout at prediction time.</summary>
public class DropoutTests
{
    private static readonly int[] Sizes = [4, 6, 5, 3];

    [Theory]
    [InlineData((int)ActivationKind.Tanh, (int)OutputKind.Softmax)]
    [InlineData((int)ActivationKind.Relu, (int)OutputKind.Identity)]
    [InlineData((int)ActivationKind.Gelu, (int)OutputKind.Softmax)]
    public void GradientOfTheMaskedNetworkMatchesCentralDifferences(int activationCode, int outputKind)
    {
        var activation = (ActivationKind)activationCode;
        var random = new SeededRandom(5);
        var network = Network.CreateInitialized(Sizes[0], Sizes[1..^1], Sizes[^1], activation, (OutputKind)outputKind, seed: 3);
        for (int i = 0; i < network.ParameterCount; i++)
        {
            network.Parameters[i] *= 1.5f;
        }

        const int Rows = 5;
        float[] x = TestData.Uniform(random, Rows * Sizes[0], 1.5);
        float[] y = TestData.Targets(random, (OutputKind)outputKind, Rows, Sizes[^1]);
        var dropout = new Dropout(0.4, new SeededRandom(9), network, Rows);
        var workspace = new BackpropWorkspace(network, Rows, threads: 1, dropout);
        var gradient = new float[network.ParameterCount];
        workspace.ComputeLossAndGradient(x, y, Rows, 0.01f, gradient);

        // Differentiate the network with these masks held fixed (float32 central differences, h = 1e-3: the loss is ~1,
        // its float rounding ~1e-7, so the numeric gradient carries ~1e-4 absolute noise; checked to 1e-2 relative).
        dropout.FreezeMasks = true;
        var scratch = new float[network.ParameterCount];
        double maxGradient = 0;
        for (int i = 0; i < network.ParameterCount; i++)
        {
            float saved = network.Parameters[i];
            network.Parameters[i] = saved + 1e-3f;
            double plus = workspace.ComputeLossAndGradient(x, y, Rows, 0.01f, scratch);
            network.Parameters[i] = saved - 1e-3f;
            double minus = workspace.ComputeLossAndGradient(x, y, Rows, 0.01f, scratch);
            network.Parameters[i] = saved;
            double numeric = (plus - minus) / 2e-3;
            maxGradient = Math.Max(maxGradient, Math.Abs(numeric));
            Assert.True(Math.Abs(gradient[i] - numeric) <= 1e-2 * Math.Max(Math.Abs(numeric), 0.05),
                $"parameter {i}: analytic {gradient[i]}, numeric {numeric}");
        }

        Assert.True(maxGradient > 1e-2);
    }

    [Fact]
    public void MasksDropAboutTheRateAndScaleTheRest()
    {
        var network = Network.CreateInitialized(3, [1000], 1, ActivationKind.Relu, OutputKind.Sigmoid, seed: 1);
        var dropout = new Dropout(0.25, new SeededRandom(2), network, 4);
        float[] ones = Enumerable.Repeat(1f, 4000).ToArray();
        float[] dropped = dropout.Apply(0, ones).ToArray();
        double zeroFraction = dropped.Count(v => v == 0) / 4000.0;
        Assert.InRange(zeroFraction, 0.22, 0.28); // 4000 Bernoulli(0.25) draws: sd ≈ 0.007, so ±0.03 is > 4 sd
        Assert.All(dropped.Where(v => v != 0), v => Assert.Equal(1f / 0.75f, v));
    }

    [Fact]
    public void DropoutIsSeededAndChangesTrainingButNotPrediction()
    {
        var random = new SeededRandom(4);
        const int Rows = 64;
        float[] x = TestData.Uniform(random, Rows * 3, 1);
        float[] y = Enumerable.Range(0, Rows).Select(i => x[i * 3] > 0 ? 1f : 0f).ToArray();
        var data = new TrainingData(x, y, Rows, 3, 1);
        TrainingSettings Settings(double rate) => TestSettings.Default with
        {
            HiddenLayerSizes = [16],
            Activation = ActivationKind.Relu,
            OutputKind = OutputKind.Sigmoid,
            Solver = SolverKind.Adam,
            LearningRate = 0.01,
            BatchSize = 16,
            MaximumNumberOfEpochs = 5,
            Tolerance = 0,
            Seed = 7,
            DropoutRate = rate,
        };

        Network a = MlpTrainer.Train(data, Settings(0.3)).Network;
        Network b = MlpTrainer.Train(data, Settings(0.3)).Network;
        Network none = MlpTrainer.Train(data, Settings(0)).Network;
        Assert.Equal(a.Parameters, b.Parameters);
        Assert.NotEqual(a.Parameters, none.Parameters);

        // Prediction never drops: two passes agree, and equal the plain product of the weights.
        var scratch = a.CreateScratch(Rows);
        float[] first = a.Forward(x, Rows, scratch).ToArray();
        float[] second = a.Forward(x, Rows, scratch).ToArray();
        Assert.Equal(first, second);
        for (int r = 0; r < Rows; r++)
        {
            Assert.Equal(PlainForward(a, x.AsSpan(r * 3, 3)), first[r], 1e-5);
        }
    }

    /// <summary>σ(W₂·relu(W₁·x + b₁) + b₂) in double, from the weights as stored: no mask, no scaling.</summary>
    private static double PlainForward(Network network, ReadOnlySpan<float> x)
    {
        ReadOnlySpan<float> w1 = network.WeightsOf(0), b1 = network.BiasesOf(0), w2 = network.WeightsOf(1), b2 = network.BiasesOf(1);
        double z = b2[0];
        for (int h = 0; h < b1.Length; h++)
        {
            double s = b1[h];
            for (int i = 0; i < x.Length; i++)
            {
                s += (double)w1[(h * x.Length) + i] * x[i];
            }

            z += w2[h] * Math.Max(0, s);
        }

        return 1 / (1 + Math.Exp(-z));
    }
}
