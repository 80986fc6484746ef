using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;

namespace Backprop.MLNet.Engine;

/// <summary>
/// scikit-learn's MLP initialisation (<c>_init_coef</c>): for every weight layer,
/// bound = sqrt(factor / (fan_in + fan_out)) with factor = 2 when the hidden activation is the
/// logistic sigmoid and 6 otherwise (applied to every layer, output layer included), and every
/// weight and bias drawn uniformly from [−bound, bound].
/// </summary>
/// <remarks>
/// Draw order: layer by layer, all weights of the layer in <see cref="Network.Parameters"/> order,
/// then its biases, one <see cref="SeededRandom.NextUniform"/> each. The numbers differ from
/// scikit-learn's (different generator), the distribution is the same.
/// </remarks>
internal static class GlorotInitializer
{
    /// <summary>The half-width of the uniform initialisation interval of one layer.</summary>
    /// <param name="fanIn">Number of layer inputs.</param>
    /// <param name="fanOut">Number of layer outputs.</param>
    /// <param name="activation">The network's hidden activation.</param>
    public static double Bound(int fanIn, int fanOut, ActivationKind activation)
    {
        double factor = activation == ActivationKind.Sigmoid ? 2.0 : 6.0;
        return Math.Sqrt(factor / ((double)fanIn + fanOut));
    }

    /// <summary>Overwrites all parameters of <paramref name="network"/> with fresh draws.</summary>
    /// <param name="network">The network to initialise.</param>
    /// <param name="random">The generator to draw from.</param>
    /// <param name="transposedFirstLayer">
    /// Write the first layer's weights transposed, [inputs × outputs], as sparse training holds them
    /// (<see cref="FirstLayerLayout"/>): the same draws in the same order, each at its transposed place.
    /// </param>
    public static void Initialize(Network network, SeededRandom random, bool transposedFirstLayer = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(random);
        for (int l = 0; l < network.LayerCount; l++)
        {
            double bound = Bound(network.LayerInputs(l), network.LayerOutputs(l), network.Activation);
            if (l == 0 && transposedFirstLayer)
            {
                FillTransposed(network.WeightsOf(0), network.LayerOutputs(0), network.InputSize, bound, random);
            }
            else
            {
                Fill(network.WeightsOf(l), bound, random);
            }

            Fill(network.BiasesOf(l), bound, random);
        }
    }

    /// <summary>Draws a [rows × columns] matrix in row-major order and writes draw (r, c) at c·rows + r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillTransposed(Span<float> values, int rows, int columns, double bound, SeededRandom random)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                values[(c * rows) + r] = (float)random.NextUniform(-bound, bound);
            }
        }
    }

    /// <summary>Fills <paramref name="values"/> with draws from U[−bound, bound].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fill(Span<float> values, double bound, SeededRandom random)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextUniform(-bound, bound);
        }
    }
}
