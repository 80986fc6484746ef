using System;
using System.Numerics.Tensors;

namespace Backprop.MLNet.Engine;

/// <summary>
/// The parameter-gradient kernel of a dense layer: ∂W = Δᵀ·A and ∂b = Δᵀ·1 (column sums of Δ),
/// both unscaled. Reference implementation (axpy rows with
/// <see cref="TensorPrimitives.MultiplyAdd(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/>);
/// allocation-free.
/// </summary>
internal static class WeightGradientKernel
{
    /// <summary>
    /// Computes <c>gw[o, i] = Σ_r delta[r, o]·a[r, i]</c> and <c>gb[o] = Σ_r delta[r, o]</c>.
    /// All matrices are dense and row-major.
    /// </summary>
    /// <param name="delta">Output errors Δ, shape [rows × outputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="a">Layer inputs A, shape [rows × inputs].</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="gw">Destination weight gradient, shape [outputs × inputs]; overwritten.</param>
    /// <param name="gb">Destination bias gradient, length outputs; overwritten.</param>
    public static void Compute(
        ReadOnlySpan<float> delta, int rows, int outputs, ReadOnlySpan<float> a, int inputs, Span<float> gw, Span<float> gb)
    {
        delta = delta[..(rows * outputs)];
        a = a[..(rows * inputs)];
        gw = gw[..(outputs * inputs)];
        gb = gb[..outputs];
        gw.Clear();
        gb.Clear();
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> aRow = a.Slice(r * inputs, inputs);
            ReadOnlySpan<float> dRow = delta.Slice(r * outputs, outputs);
            for (int o = 0; o < outputs; o++)
            {
                Span<float> gwRow = gw.Slice(o * inputs, inputs);
                TensorPrimitives.MultiplyAdd(aRow, dRow[o], gwRow, gwRow);
            }

            TensorPrimitives.Add(gb, dRow, gb);
        }
    }
}
