using System.Runtime.CompilerServices;

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Transpose(Span<float> vector, Network network, bool toTransposed, Span<float> scratch)
    {
        int inputs = network.InputSize, outputs = network.LayerOutputs(0);
        Span<float> block = vector[..(inputs * outputs)];
        block.CopyTo(scratch);
        fixed (float* copy = scratch)
        {
            (int rows, int columns) = toTransposed ? (outputs, inputs) : (inputs, outputs);

            // Tile by tile, so that both the rows read and the rows written stay in cache.
            const int Tile = 32;
            fixed (float* destination = block)
            {
                for (int r0 = 0; r0 < rows; r0 += Tile)
                {
                    int r1 = Math.Min(rows, r0 + Tile);
                    for (int c0 = 0; c0 < columns; c0 += Tile)
                    {
                        int c1 = Math.Min(columns, c0 + Tile);
                        for (int r = r0; r < r1; r++)
                        {
                            for (int c = c0; c < c1; c++)
                            {
                                destination[((nint)c * rows) + r] = copy[((nint)r * columns) + c];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>A scratch buffer for <see cref="Transpose"/> of <paramref name="network"/>'s first weight block.</summary>
    /// <param name="network">The network.</param>
    public static float[] Scratch(Network network) => LargeArrays.Allocate<float>(network.WeightCount(0));
}
