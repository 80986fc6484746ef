namespace Backprop.MLNet.Engine.Sparse;

/// <summary>
/// Switches the first weight block of a parameter-shaped vector between the network's layout, row-major
/// [outputs × inputs], and the layout of sparse training, [inputs × outputs] (see <see cref="SparseFirstLayer"/>). The
/// optimizers are element-wise, so they run on either layout unchanged; only the first layer's kernels care.
/// </summary>
internal static class FirstLayerLayout
{
    /// <summary>Transposes the first weight block of <paramref name="vector"/> in place.</summary>
    /// <param name="vector">A vector laid out like <see cref="Network.Parameters"/> (parameters, a gradient, optimizer state).</param>
    /// <param name="network">The network that gives the shape.</param>
    /// <param name="toTransposed">True: network layout → [inputs × outputs]; false: back.</param>
    public static void Transpose(Span<float> vector, Network network, bool toTransposed)
    {
        int inputs = network.InputSize, outputs = network.LayerOutputs(0);
        Span<float> block = vector[..(inputs * outputs)];
        float[] copy = block.ToArray();
        (int rows, int columns) = toTransposed ? (outputs, inputs) : (inputs, outputs);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                block[(c * rows) + r] = copy[(r * columns) + c];
            }
        }
    }
}
