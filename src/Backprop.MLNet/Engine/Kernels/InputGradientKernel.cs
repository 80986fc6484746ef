using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// The input-gradient kernel of a dense layer: effectively computes G = (Δ·W) ⊙ f′(A), the error
/// back-propagated to the layer's inputs, optionally multiplied by the derivative of the activation
/// that produced those inputs (fused into the tiles). Allocation-free once warmed up; see
/// <see cref="PanelGemmProblem"/> for the blocking.
/// </summary>
internal static unsafe class InputGradientKernel
{
    /// <summary>
    /// Computes <c>g[r, i] = Σ_o delta[r, o]·w[o, i]</c> for every row r and input i on the calling thread.
    /// All matrices are dense and row-major.
    /// </summary>
    /// <param name="delta">Output errors Δ, shape [rows × outputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="w">Weights W, shape [outputs × inputs].</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="g">Destination G, shape [rows × inputs]; overwritten; must not overlap the inputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(
        ReadOnlySpan<float> delta, int rows, int outputs, ReadOnlySpan<float> w, int inputs, Span<float> g) =>
        Compute(delta, rows, outputs, w, inputs, g, derivativeOf: null, activated: default, threads: 1);

    /// <summary>
    /// Computes <c>g[r, i] = (Σ_o delta[r, o]·w[o, i])·f′(activated[r, i])</c> using up to
    /// <paramref name="threads"/> threads; bit-identical for every thread count.
    /// </summary>
    /// <param name="delta">Output errors Δ, shape [rows × outputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="w">Weights W, shape [outputs × inputs].</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="g">Destination G, shape [rows × inputs]; overwritten; must not overlap the inputs.</param>
    /// <param name="derivativeOf">The activation f whose derivative multiplies G, or null for none.</param>
    /// <param name="activated">The activations a = f(z) of this layer's inputs, [rows × inputs] (ignored when <paramref name="derivativeOf"/> is null).</param>
    /// <param name="threads">Maximum threads, the caller included (1 = run on the caller only).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(
        ReadOnlySpan<float> delta,
        int rows,
        int outputs,
        ReadOnlySpan<float> w,
        int inputs,
        Span<float> g,
        HiddenActivation? derivativeOf,
        ReadOnlySpan<float> activated,
        int threads = 1)
    {
        delta = delta[..(rows * outputs)];
        w = w[..(outputs * inputs)];
        g = g[..(rows * inputs)];
        EpilogueMode mode = KernelEpilogue.ModeOf(derivativeOf);
        activated = mode == EpilogueMode.None ? default : activated[..(rows * inputs)];
        fixed (float* pd = delta, pw = w, pg = g, pa = activated)
        {
            var problem = new PanelGemmProblem
            {
                A = pd,
                RowStrideA = outputs,
                SumStrideA = 1,
                B = pw,
                C = pg,
                Activated = pa,
                M = rows,
                N = inputs,
                K = outputs,
                Activation = derivativeOf,
                Mode = mode,
                Isa = KernelPath.Current,
            };
            problem.Plan(KernelTuner.ShapeFor(TunedKernel.InputGradient, problem, threads, KernelTuner.EnabledOnCurrentThread));
            KernelRunner.Run(problem, threads);
        }
    }
}
