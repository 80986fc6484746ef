using System;
using System.Numerics.Tensors;

namespace Backprop.MLNet.Engine;

/// <summary>
/// The input-gradient kernel of a dense layer: G = Δ·W, the error back-propagated to the
/// layer's inputs. Reference implementation (axpy rows with
/// <see cref="TensorPrimitives.MultiplyAdd(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/>);
/// allocation-free.
/// </summary>
internal static class InputGradientKernel
{
    /// <summary>
    /// Computes <c>g[r, i] = Σ_o delta[r, o]·w[o, i]</c> for every row r and input i.
    /// All matrices are dense and row-major.
    /// </summary>
    /// <param name="delta">Output errors Δ, shape [rows × outputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="w">Weights W, shape [outputs × inputs].</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="g">Destination G, shape [rows × inputs]; overwritten; must not overlap the inputs.</param>
    public static void Compute(
        ReadOnlySpan<float> delta, int rows, int outputs, ReadOnlySpan<float> w, int inputs, Span<float> g)
    {
        delta = delta[..(rows * outputs)];
        w = w[..(outputs * inputs)];
        g = g[..(rows * inputs)];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> dRow = delta.Slice(r * outputs, outputs);
            Span<float> gRow = g.Slice(r * inputs, inputs);
            gRow.Clear();
            for (int o = 0; o < outputs; o++)
            {
                TensorPrimitives.MultiplyAdd(w.Slice(o * inputs, inputs), dRow[o], gRow, gRow);
            }
        }
    }
}
