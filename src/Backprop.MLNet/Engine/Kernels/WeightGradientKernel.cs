using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// The parameter-gradient kernel of a dense layer: effectively computes ∂W = Δᵀ·A and ∂b = Δᵀ·1
/// (column sums of Δ), both unscaled. ∂W runs on the blocked <see cref="PanelGemmProblem"/> reading Δ
/// transposed in place; ∂b is summed row by row on the calling thread. Allocation-free once warmed up.
/// </summary>
internal static unsafe class WeightGradientKernel
{
    /// <summary>
    /// Computes <c>gw[o, i] = Σ_r delta[r, o]·a[r, i]</c> and <c>gb[o] = Σ_r delta[r, o]</c>.
    /// All matrices are dense and row-major. Bit-identical for every thread count.
    /// </summary>
    /// <param name="delta">Output errors Δ, shape [rows × outputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="a">Layer inputs A, shape [rows × inputs].</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="gw">Destination weight gradient, shape [outputs × inputs]; overwritten.</param>
    /// <param name="gb">Destination bias gradient, length outputs; overwritten.</param>
    /// <param name="threads">Maximum threads, the caller included (1 = run on the caller only).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(
        ReadOnlySpan<float> delta, int rows, int outputs, ReadOnlySpan<float> a, int inputs, Span<float> gw, Span<float> gb, int threads = 1) =>
        Product(delta, rows, outputs, a, inputs, gw, gb, threads, transposed: false);

    /// <summary>
    /// The same gradients for weights held transposed (training's first layer): <c>gwt[i, o] = Σ_r a[r, i]·delta[r, o]</c>
    /// and <c>gb[o] = Σ_r delta[r, o]</c>. Each element is the same multiply–add chain over r as in
    /// <see cref="Compute"/>, so it has the same bits there, only at its transposed place.
    /// </summary>
    /// <param name="delta">Output errors Δ, shape [rows × outputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="a">Layer inputs A, shape [rows × inputs].</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="gwt">Destination weight gradient, shape [inputs × outputs]; overwritten.</param>
    /// <param name="gb">Destination bias gradient, length outputs; overwritten.</param>
    /// <param name="threads">Maximum threads, the caller included (1 = run on the caller only).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ComputeTransposed(
        ReadOnlySpan<float> delta, int rows, int outputs, ReadOnlySpan<float> a, int inputs, Span<float> gwt, Span<float> gb, int threads = 1) =>
        Product(delta, rows, outputs, a, inputs, gwt, gb, threads, transposed: true);

    /// <summary>
    /// Both layouts: the product C = Δᵀ·A [outputs × inputs] reads Δ transposed, Cᵀ = Aᵀ·Δ [inputs × outputs] reads A
    /// transposed; either way each element is one multiply–add chain over the rows, and ∂b is summed row by row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product(
        ReadOnlySpan<float> delta, int rows, int outputs, ReadOnlySpan<float> a, int inputs, Span<float> gw, Span<float> gb, int threads, bool transposed)
    {
        delta = delta[..(rows * outputs)];
        a = a[..(rows * inputs)];
        gw = gw[..(outputs * inputs)];
        gb = gb[..outputs];
        fixed (float* pd = delta, pa = a, pw = gw)
        {
            var problem = new PanelGemmProblem
            {
                A = transposed ? pa : pd,
                RowStrideA = 1,
                SumStrideA = transposed ? inputs : outputs,
                B = transposed ? pd : pa,
                C = pw,
                M = transposed ? inputs : outputs,
                N = transposed ? outputs : inputs,
                K = rows,
                Mode = EpilogueMode.None,
                Isa = KernelPath.Current,
            };
            problem.Plan(KernelTuner.ShapeFor(TunedKernel.WeightGradient, problem, threads, KernelTuner.EnabledOnCurrentThread));
            KernelRunner.Run(problem, threads);
        }

        gb.Clear();
        for (int r = 0; r < rows; r++)
        {
            ElementWise.Add(delta.Slice(r * outputs, outputs), gb);
        }
    }
}
