namespace Backprop.MLNet.Engine;

/// <summary>
/// Switches the first weight block of a parameter-shaped vector between the network's layout, row-major
/// [outputs × inputs], and the layout training holds it in, [inputs × outputs] (sparse rows, see
/// <see cref="Sparse.SparseFirstLayer"/>, and wide dense first layers, see <see cref="Training.MlpTrainer.HoldsFirstLayerTransposed"/>).
/// The optimizers are element-wise, so they run on either layout unchanged; only the first layer's kernels care.
/// </summary>
internal static class FirstLayerLayout
{
    /// <summary>Transposes the first weight block of <paramref name="vector"/> in place.</summary>
    /// <param name="vector">A vector laid out like <see cref="Network.Parameters"/> (parameters, a gradient, optimizer state).</param>
    /// <param name="network">The network that gives the shape.</param>
    /// <param name="toTransposed">True: network layout → [inputs × outputs]; false: back.</param>
    /// <param name="scratch">Room for one weight block (inputs × outputs floats), reused across calls (fresh memory costs page faults).</param>
    public static void Transpose(Span<float> vector, Network network, bool toTransposed, Span<float> scratch)
    {
        int inputs = network.InputSize, outputs = network.LayerOutputs(0);
        Span<float> block = vector[..(inputs * outputs)];
        block.CopyTo(scratch);
        (int rows, int columns) = toTransposed ? (outputs, inputs) : (inputs, outputs);
        // Values are only moved: 8 × 8 blocks in registers (measured on the text workload's 100,931 × 100 block: 19 ms
        // a transpose element by element in 32 × 32 tiles, three of them at the end of training).
        Kernels.MatrixTranspose.Transpose(scratch[..block.Length], rows, columns, block);
    }

    /// <summary>A scratch buffer for <see cref="Transpose"/> of <paramref name="network"/>'s first weight block.</summary>
    /// <param name="network">The network.</param>
    public static float[] Scratch(Network network) => LargeArrays.Allocate<float>(network.WeightCount(0));
}
