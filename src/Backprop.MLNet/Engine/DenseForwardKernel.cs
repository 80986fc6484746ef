using System;
using System.Numerics.Tensors;

namespace Backprop.MLNet.Engine;

/// <summary>
/// The forward matrix kernel of a dense layer: Z = A·Wᵀ + 1·bᵀ.
/// Reference implementation (one <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
/// per output element); allocation-free. A faster blocked kernel may replace the body as long as
/// the contract below holds.
/// </summary>
internal static class DenseForwardKernel
{
    /// <summary>
    /// Computes <c>z[r, o] = Σ_i a[r, i]·w[o, i] + bias[o]</c> for every row r and output o.
    /// All matrices are dense and row-major.
    /// </summary>
    /// <param name="a">Input activations A, shape [rows × inputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="w">Weights W, shape [outputs × inputs].</param>
    /// <param name="bias">Biases b, length outputs.</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="z">Destination Z, shape [rows × outputs]; overwritten; must not overlap the inputs.</param>
    public static void Compute(
        ReadOnlySpan<float> a, int rows, int inputs, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int outputs, Span<float> z)
    {
        a = a[..(rows * inputs)];
        w = w[..(outputs * inputs)];
        bias = bias[..outputs];
        z = z[..(rows * outputs)];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> aRow = a.Slice(r * inputs, inputs);
            Span<float> zRow = z.Slice(r * outputs, outputs);
            for (int o = 0; o < outputs; o++)
            {
                zRow[o] = TensorPrimitives.Dot(aRow, w.Slice(o * inputs, inputs)) + bias[o];
            }
        }
    }
}
