using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine.Sparse;

namespace Backprop.MLNet.Tests.Engine.Sparse;

/// <summary>
/// The gradient of a network whose first layer reads sparse rows (<see cref="SparseFirstLayer"/>, weights transposed,
/// centring folded into the bias) against central differences of the double-precision <see cref="ReferenceMlp"/> on the
/// same rows written out dense and centred: x' = x − shift, zeros included.
/// </summary>
public class SparseGradientCheckTests
{
    // 12 inputs, two hidden layers, 3 outputs, 6 rows of which about a third of the inputs are non-zero.
    private static readonly int[] Sizes = [12, 5, 4, 3];
    private const int Rows = 6;
    private const float L2 = 0.01f;
    private const double H = 1e-6;

    // As in GradientCheckTests: the float32 analytic gradient is good to a few 1e-7; a wrong term (a missing centring
    // term, a missing L2 on a row, a wrong scale) is of the order of the gradient itself.
    private const double RelativeTolerance = 1e-3;
    private const double ScaleFloor = 1e-3;

    /// <summary>Sigmoid with 3 outputs is the multilabel loss (the sum over labels of binary cross-entropy), unweighted and weighted.</summary>
    [Theory]
    [InlineData((int)ActivationKind.Tanh, (int)OutputKind.Sigmoid, false)]
    [InlineData((int)ActivationKind.Gelu, (int)OutputKind.Sigmoid, true)]
    [InlineData((int)ActivationKind.Relu, (int)OutputKind.Softmax, false)]
    [InlineData((int)ActivationKind.Gelu, (int)OutputKind.Identity, false)]
    [InlineData((int)ActivationKind.Sigmoid, (int)OutputKind.Softmax, true)]
    [InlineData((int)ActivationKind.LeakyRelu, (int)OutputKind.Identity, true)]
    public void ExactSparseGradientMatchesCentralDifferences(int activation, int outputKind, bool weighted)
    {
        Case c = Make((ActivationKind)activation, (OutputKind)outputKind, weighted, seed: 21 + activation);
        (double loss, float[] gradient) = c.Sparse(lazy: false);

        double reference = ReferenceMlp.Loss(Sizes, c.Network.Activation, c.Network.OutputKind, Array.ConvertAll(c.Network.Parameters, v => (double)v),
            c.Centred, c.Targets, Rows, L2, c.Weights, out _);
        Assert.Equal(reference, loss, 1e-5 * Math.Max(1, Math.Abs(reference)));

        double[] numeric = ReferenceMlp.NumericGradient(Sizes, c.Network.Activation, c.Network.OutputKind, c.Network.Parameters, c.Centred, c.Targets, Rows, L2, c.Weights, H);
        double worst = 0;
        for (int i = 0; i < numeric.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(gradient[i] - numeric[i]) / Math.Max(Math.Abs(numeric[i]), ScaleFloor));
        }

        Assert.True(numeric.Max(Math.Abs) > 1e-2, "the gradient is unexpectedly tiny");
        Assert.True(worst <= RelativeTolerance, $"worst scaled error {worst}");
    }

    /// <summary>
    /// A lazy pass writes exactly the rows of the inputs the batch holds, bit for bit as the exact pass writes them, and the
    /// whole tail; the rows of absent inputs are not touched (they keep the NaN they held).
    /// </summary>
    [Fact]
    public void LazyGradientWritesTheTouchedRowsAsTheExactOneAndNothingElse()
    {
        Case c = Make(ActivationKind.Relu, OutputKind.Softmax, weighted: false, seed: 5);
        (_, float[] exact) = c.Sparse(lazy: false, transposeBack: false);
        (_, float[] lazy) = c.Sparse(lazy: true, transposeBack: false, fill: float.NaN);

        int outputs = Sizes[1];
        var touched = new HashSet<int>(c.Indices);
        Assert.True(touched.Count < Sizes[0], "the test needs an input absent from every row");
        for (int input = 0; input < Sizes[0]; input++)
        {
            for (int o = 0; o < outputs; o++)
            {
                float value = lazy[(input * outputs) + o];
                if (touched.Contains(input))
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(exact[(input * outputs) + o]), BitConverter.SingleToInt32Bits(value));
                }
                else
                {
                    Assert.True(float.IsNaN(value), $"input {input} is absent from the batch but its gradient row was written");
                }
            }
        }

        int tail = Sizes[0] * outputs;
        Assert.Equal(exact.AsSpan(tail).ToArray(), lazy.AsSpan(tail).ToArray());
    }

    private static Case Make(ActivationKind activation, OutputKind kind, bool weighted, int seed)
    {
        var random = new SeededRandom(seed);
        var network = new Network(Sizes, activation, kind);
        network.InitializeGlorot(random);
        for (int i = 0; i < network.ParameterCount; i++)
        {
            network.Parameters[i] *= 1.5f;
        }

        // Input 7 is absent from every row; the others are present with probability 0.35.
        var starts = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < Rows; r++)
        {
            for (int i = 0; i < Sizes[0]; i++)
            {
                if (i != 7 && (random.NextDouble() < 0.35 || i == r))
                {
                    indices.Add(i);
                    values.Add((float)random.NextUniform(-1.5, 1.5));
                }
            }

            starts.Add(indices.Count);
        }

        float[] shift = TestData.Uniform(random, Sizes[0], 0.5);
        shift[3] = 0f;
        var centred = new float[Rows * Sizes[0]];
        for (int r = 0; r < Rows; r++)
        {
            for (int i = 0; i < Sizes[0]; i++)
            {
                centred[(r * Sizes[0]) + i] = -shift[i];
            }

            for (int k = starts[r]; k < starts[r + 1]; k++)
            {
                centred[(r * Sizes[0]) + indices[k]] += values[k];
            }
        }

        float[] targets = TestData.Targets(random, kind, Rows, Sizes[^1]);
        float[]? weights = weighted ? [0.5f, 2f, 1f, 3f, 0.25f, 1.5f] : null;
        return new Case(network, [.. starts], [.. indices], [.. values], shift, centred, targets, weights);
    }

    /// <summary>One sparse batch, its dense centred twin, and the network.</summary>
    private sealed record Case(Network Network, int[] Starts, int[] Indices, float[] Values, float[] Shift, float[] Centred, float[] Targets, float[]? Weights)
    {
        /// <summary>The loss and gradient of the sparse pass; the gradient's first block back in the network's layout unless asked not to.</summary>
        public (double Loss, float[] Gradient) Sparse(bool lazy, bool transposeBack = true, float fill = 0f)
        {
            Network transposed = Network.Clone();
            FirstLayerLayout.Transpose(transposed.Parameters, transposed, toTransposed: true, FirstLayerLayout.Scratch(transposed));
            var workspace = new BackpropWorkspace(transposed, Rows, threads: 1, sparse: new SparseFirstLayer(transposed, Shift, lazy));
            var gradient = new float[transposed.ParameterCount];
            Array.Fill(gradient, fill);
            InputBatch batch = InputBatch.FromCsr(Starts, Indices, Values, Sizes[0]);
            double loss = workspace.ComputeLossAndGradient(batch, Targets, L2, gradient, Weights);
            if (transposeBack)
            {
                FirstLayerLayout.Transpose(gradient, transposed, toTransposed: false, FirstLayerLayout.Scratch(transposed));
            }

            return (loss, gradient);
        }
    }
}
