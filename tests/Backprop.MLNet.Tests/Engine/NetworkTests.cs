using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>Parameter layout, rebuilding, cloning and inference of <see cref="Network"/>.</summary>
public class NetworkTests
{
    /// <summary>Layout: per layer W [out × in] then b, contiguous, in layer order.</summary>
    [Fact]
    public void ParameterLayoutIsWeightsThenBiasesPerLayer()
    {
        var network = new Network(3, [4, 5], 2, ActivationKind.Relu, OutputKind.Softmax);
        Assert.Equal([3, 4, 5, 2], network.LayerSizes);
        Assert.Equal(3, network.LayerCount);
        Assert.Equal((3 * 4) + 4 + (4 * 5) + 5 + (5 * 2) + 2, network.ParameterCount);
        Assert.Equal(0, network.WeightOffset(0));
        Assert.Equal(12, network.BiasOffset(0));
        Assert.Equal(16, network.WeightOffset(1));
        Assert.Equal(36, network.BiasOffset(1));
        Assert.Equal(41, network.WeightOffset(2));
        Assert.Equal(51, network.BiasOffset(2));
        Assert.Equal(20, network.WeightsOf(1).Length);
        Assert.Equal(2, network.BiasesOf(2).Length);
        Assert.Equal(1, network.TargetWidth);

        // Views alias the flat array.
        network.WeightsOf(1)[0] = 7f;
        network.BiasesOf(2)[1] = 9f;
        Assert.Equal(7f, network.Parameters[16]);
        Assert.Equal(9f, network.Parameters[52]);
    }

    /// <summary>z = W·a + b with W row-major [outputs × inputs], checked on a linear network by hand.</summary>
    [Fact]
    public void ForwardComputesWTimesAPlusB()
    {
        var network = new Network(2, [], 2, ActivationKind.Relu, OutputKind.Identity);
        // W = [[1, 2], [3, 4]], b = [10, 20]; x = (1, −1): z = [1 − 2 + 10, 3 − 4 + 20] = [9, 19].
        float[] parameters = [1f, 2f, 3f, 4f, 10f, 20f];
        parameters.CopyTo(network.Parameters, 0);
        var output = new float[2];
        network.Predict([1f, -1f], 1, output, network.CreateScratch());
        Assert.Equal([9f, 19f], output);
    }

    /// <summary>FromParameters rebuilds an identical network; Clone is deep.</summary>
    [Fact]
    public void FromParametersAndCloneRoundTrip()
    {
        Network original = Network.CreateInitialized(4, [6, 3], 3, ActivationKind.Tanh, OutputKind.Softmax, seed: 1);
        Network rebuilt = Network.FromParameters(original.LayerSizes, original.Activation, original.OutputKind, original.Parameters);
        Assert.True(rebuilt.HasSameArchitecture(original));
        Assert.Equal(original.Parameters, rebuilt.Parameters);
        Assert.NotSame(original.Parameters, rebuilt.Parameters);

        Network clone = original.Clone();
        clone.Parameters[0] += 1f;
        Assert.NotEqual(original.Parameters[0], clone.Parameters[0]);

        Assert.Throws<ArgumentException>(() =>
            Network.FromParameters(original.LayerSizes, original.Activation, original.OutputKind, new float[original.ParameterCount - 1]));
    }

    /// <summary>
    /// Predict with a one-row scratch reproduces, row by row, the batched forward pass of the
    /// training workspace: the raw logits exactly (same kernels, same per-row arithmetic), the
    /// probabilities to 1 ulp-ish (TensorPrimitives.Sigmoid takes a vectorised path for 7 values
    /// and a scalar one for 1, which may round differently in the last bit).
    /// </summary>
    [Fact]
    public void SingleRowPredictMatchesBatchedForward()
    {
        const int rows = 7;
        Network network = Network.CreateInitialized(5, [8, 4], 1, ActivationKind.Relu, OutputKind.Sigmoid, seed: 9);
        float[] x = TestData.Uniform(new SeededRandom(2), rows * 5, 3.0);
        var workspace = new BackpropWorkspace(network, rows);
        float[] batched = workspace.Forward(x, rows).ToArray();
        float[] batchedLogits = workspace.Scratch.LastLogits.ToArray();

        InferenceScratch scratch = network.CreateScratch();
        var probability = new float[1];
        var score = new float[1];
        for (int r = 0; r < rows; r++)
        {
            network.Predict(x.AsSpan(r * 5, 5), 1, probability, scratch);
            score[0] = scratch.LastLogits[0];
            Assert.Equal(batchedLogits[r], score[0]);
            Assert.Equal(batched[r], probability[0], 1e-7);
            Assert.Equal(1 / (1 + Math.Exp(-score[0])), probability[0], 1e-6);
        }
    }

    /// <summary>One shared network, many threads each with its own scratch: all get the single-threaded answer.</summary>
    [Fact]
    public void SharedNetworkIsUsableFromManyThreads()
    {
        Network network = Network.CreateInitialized(6, [16], 4, ActivationKind.Tanh, OutputKind.Softmax, seed: 4);
        float[] x = TestData.Uniform(new SeededRandom(3), 6, 1.0);
        float[] expected = network.Forward(x, 1, network.CreateScratch()).ToArray();
        System.Threading.Tasks.Parallel.For(0, 8, _ =>
        {
            InferenceScratch scratch = network.CreateScratch();
            var output = new float[4];
            for (int i = 0; i < 2000; i++)
            {
                network.Predict(x, 1, output, scratch);
                Assert.Equal(expected, output);
            }
        });
    }

    /// <summary>A scratch refuses more rows than it was sized for and a network of another shape.</summary>
    [Fact]
    public void ScratchIsChecked()
    {
        Network network = Network.CreateInitialized(2, [3], 1, ActivationKind.Relu, OutputKind.Sigmoid, seed: 0);
        Network other = Network.CreateInitialized(2, [4], 1, ActivationKind.Relu, OutputKind.Sigmoid, seed: 0);
        InferenceScratch scratch = network.CreateScratch(maxRows: 2);
        var output = new float[3];
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Predict(new float[6], 3, output, scratch));
        Assert.Throws<ArgumentException>(() => other.Predict(new float[2], 1, output, scratch));
        Assert.Throws<ArgumentException>(() => network.Predict(new float[3], 2, output, scratch)); // too few inputs
    }

    /// <summary>Invalid architectures are rejected.</summary>
    [Fact]
    public void InvalidArchitecturesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Network(0, [], 1, ActivationKind.Relu, OutputKind.Sigmoid));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Network(2, [0], 1, ActivationKind.Relu, OutputKind.Sigmoid));
        Assert.Throws<ArgumentException>(() => new Network([3], ActivationKind.Relu, OutputKind.Sigmoid));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Network(2, [], 1, (ActivationKind)99, OutputKind.Sigmoid));
    }

    /// <summary>Adopt keeps the given array (FromParameters copies it), checks its length naming it, and takes the prediction form.</summary>
    [Fact]
    public void AdoptKeepsTheArrayItIsGiven()
    {
        int[] sizes = [3, 4, 2];
        float[] parameters = [.. Enumerable.Range(0, (3 * 4) + 4 + (4 * 2) + 2).Select(i => i * 0.25f)];
        Network adopted = Network.Adopt(sizes, ActivationKind.Gelu, OutputKind.Softmax, parameters, geluByTanh: true);
        Network copied = Network.FromParameters(sizes, ActivationKind.Gelu, OutputKind.Softmax, parameters, geluByTanh: true);

        Assert.Same(parameters, adopted.Parameters);
        Assert.NotSame(parameters, copied.Parameters);
        Assert.Equal(copied.Parameters, adopted.Parameters);
        Assert.True(adopted.PredictsGeluByTanh);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => Network.Adopt(sizes, ActivationKind.Relu, OutputKind.Softmax, new float[5])).ParamName);
    }
}
