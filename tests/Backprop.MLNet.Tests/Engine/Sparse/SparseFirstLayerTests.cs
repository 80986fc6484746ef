using System.Numerics.Tensors;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine.Sparse;

namespace Backprop.MLNet.Tests.Engine.Sparse;

/// <summary>The state a lazy <see cref="SparseFirstLayer"/> follows incrementally: the centring offset u and Σ W².</summary>
public class SparseFirstLayerTests
{
    /// <summary>
    /// Through 400 lazy Adam steps (across the periodic full recomputation), after every forward pass the offset u and Σ W²
    /// the layer holds equal the sums over the current weights. They are followed by float sums over the changed rows, so
    /// they differ from a fresh sum by rounding: 1e-4 of the sums' scale is ~100× the drift seen, while a missed update
    /// (a stale u) is off by the whole change of the touched rows, orders of magnitude more.
    /// </summary>
    [Fact]
    public void TheOffsetAndTheSumOfSquaresFollowTheLazyUpdates()
    {
        const int Inputs = 60, Hidden = 8, Rows = 16;
        var random = new SeededRandom(3);
        var network = new Network(Inputs, [Hidden], 1, ActivationKind.Relu, OutputKind.Sigmoid);
        network.InitializeGlorot(random);
        FirstLayerLayout.Transpose(network.Parameters, network, toTransposed: true, FirstLayerLayout.Scratch(network));
        float[] shift = TestData.Uniform(random, Inputs, 1.0);
        var layer = new SparseFirstLayer(network, shift, lazy: true);
        var workspace = new BackpropWorkspace(network, Rows, threads: 1, sparse: layer);
        var optimizer = new AdamOptimizer(network.ParameterCount, 0.9, 0.999, 1e-8);
        var gradient = new float[network.ParameterCount];
        for (int step = 0; step < 400; step++)
        {
            (int[] starts, int[] indices, float[] values) = Batch(random, Inputs, Rows);
            InputBatch batch = InputBatch.FromCsr(starts, indices, values, Inputs);
            float[] targets = TestData.Targets(random, OutputKind.Sigmoid, Rows, 1);
            workspace.ComputeLossAndGradient(batch, targets, 0.01f, gradient);
            optimizer.Step(network.Parameters, gradient, 0.01, new ParameterSubset(layer.Touched, Hidden, network.BiasOffset(0)));

            workspace.Forward(batch); // brings the layer's sums up to date with the update
            float[] expected = new float[Hidden];
            float scale = 0;
            for (int i = 0; i < Inputs; i++)
            {
                ReadOnlySpan<float> row = network.WeightsOf(0).Slice(i * Hidden, Hidden);
                TensorPrimitives.MultiplyAdd(row, shift[i], expected, expected);
                scale += Math.Abs(shift[i]) * TensorPrimitives.MaxMagnitude(row);
            }

            for (int o = 0; o < Hidden; o++)
            {
                Assert.True(Math.Abs(layer.Offset[o] - expected[o]) <= 1e-4 * scale, $"step {step}, output {o}: u {layer.Offset[o]} vs {expected[o]}");
            }

            double squares = TensorPrimitives.SumOfSquares(network.WeightsOf(0));
            Assert.True(Math.Abs(layer.SumOfSquares - squares) <= 1e-4 * squares, $"step {step}: Σ W² {layer.SumOfSquares} vs {squares}");
        }
    }

    /// <summary>Rows holding each input with probability 0.1 (so most inputs are absent from a batch).</summary>
    private static (int[] Starts, int[] Indices, float[] Values) Batch(SeededRandom random, int inputs, int rows)
    {
        var starts = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < inputs; i++)
            {
                if (random.NextDouble() < 0.1)
                {
                    indices.Add(i);
                    values.Add((float)random.NextUniform(-2, 2));
                }
            }

            starts.Add(indices.Count);
        }

        return ([.. starts], [.. indices], [.. values]);
    }
}
