using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>The first weight block switched between the network's layout and training's (<see cref="FirstLayerLayout"/>).</summary>
public class FirstLayerLayoutTests
{
    /// <summary>
    /// To training's layout, weight (o, i) of the row-major block moves to i·outputs + o, and nothing after the block moves;
    /// back, the vector is the original bit for bit. Shapes with and without full 8 × 8 blocks, wide and tall.
    /// </summary>
    [Theory]
    [InlineData(13, 10)]
    [InlineData(16, 8)]
    [InlineData(1, 7)]
    [InlineData(101, 37)]
    [InlineData(3, 64)]
    public void MovesEveryWeightToItsTransposedPlaceAndBack(int inputs, int outputs)
    {
        var network = new Network(inputs, [outputs], 2, ActivationKind.Relu, OutputKind.Softmax);
        float[] vector = [.. Enumerable.Range(0, network.ParameterCount).Select(k => (float)k)];
        float[] original = (float[])vector.Clone();
        float[] scratch = FirstLayerLayout.Scratch(network);

        FirstLayerLayout.Transpose(vector, network, toTransposed: true, scratch);
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                Assert.Equal(original[(o * inputs) + i], vector[(i * outputs) + o]);
            }
        }

        Assert.Equal(original.AsSpan(inputs * outputs).ToArray(), vector.AsSpan(inputs * outputs).ToArray());
        FirstLayerLayout.Transpose(vector, network, toTransposed: false, scratch);
        Assert.Equal(original, vector);
    }
}
