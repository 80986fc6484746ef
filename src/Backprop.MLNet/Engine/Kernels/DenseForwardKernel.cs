using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// The forward matrix kernel of a dense layer: effectively computes Z = f(A·Wᵀ + 1·bᵀ), with the
/// bias and (optionally) the hidden activation f fused into the register-blocked product.
/// Allocation-free; see <see cref="ForwardProblem"/> for the blocking and <see cref="DotMicroKernels"/>
/// for why one row gives the same bits alone as inside any batch.
/// </summary>
internal static unsafe class DenseForwardKernel
{
    /// <summary>
    /// Computes <c>z[r, o] = Σ_i a[r, i]·w[o, i] + bias[o]</c> for every row r and output o on the
    /// calling thread. All matrices are dense and row-major.
    /// </summary>
    /// <param name="a">Input activations A, shape [rows × inputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="w">Weights W, shape [outputs × inputs].</param>
    /// <param name="bias">Biases b, length outputs.</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="z">Destination Z, shape [rows × outputs]; overwritten; must not overlap the inputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(
        ReadOnlySpan<float> a, int rows, int inputs, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int outputs, Span<float> z) =>
        Compute(a, rows, inputs, w, bias, outputs, z, activation: null, threads: 1);

    /// <summary>
    /// Computes <c>z[r, o] = f(Σ_i a[r, i]·w[o, i] + bias[o])</c> using up to <paramref name="threads"/> threads.
    /// The result is bit-identical for every thread count and for every batch a row is part of.
    /// </summary>
    /// <param name="a">Input activations A, shape [rows × inputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="w">Weights W, shape [outputs × inputs].</param>
    /// <param name="bias">Biases b, length outputs.</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="z">Destination Z, shape [rows × outputs]; overwritten; must not overlap the inputs.</param>
    /// <param name="activation">The hidden activation f, or null for none (the output layer).</param>
    /// <param name="threads">Maximum threads, the caller included (1 = run on the caller only).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(
        ReadOnlySpan<float> a,
        int rows,
        int inputs,
        ReadOnlySpan<float> w,
        ReadOnlySpan<float> bias,
        int outputs,
        Span<float> z,
        HiddenActivation? activation,
        int threads = 1)
    {
        a = a[..(rows * inputs)];
        w = w[..(outputs * inputs)];
        bias = bias[..outputs];
        z = z[..(rows * outputs)];
        fixed (float* pa = a, pw = w, pb = bias, pz = z)
        {
            var problem = new ForwardProblem
            {
                A = pa,
                W = pw,
                Bias = pb,
                Z = pz,
                Rows = rows,
                Inputs = inputs,
                Outputs = outputs,
                Activation = activation,
                Mode = KernelEpilogue.ModeOf(activation),
                Isa = KernelPath.Current,
            };
            problem.Plan(KernelTuner.ShapeFor(problem, threads, KernelTuner.EnabledOnCurrentThread));
            KernelRunner.Run(problem, threads);
        }
    }

    /// <summary>
    /// The same product over weights held transposed, Wᵀ [inputs × outputs] (training's first layer,
    /// <see cref="BackpropWorkspace.FirstLayerTransposed"/>): <c>z[r, o] = f(Σ_i a[r, i]·wt[i, o] + bias[o])</c>, on the
    /// broadcast tiles of <see cref="PanelGemmProblem"/>, which read Wᵀ as it is stored and sum each output as one
    /// multiply–add chain over i in order (a different order from <see cref="Compute(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, int, Span{float}, HiddenActivation?, int)"/>'s lanes, so the two agree to
    /// rounding). Bit-identical for every thread count and tuned shape.
    /// </summary>
    /// <param name="a">Input activations A, shape [rows × inputs].</param>
    /// <param name="rows">Number of rows (batch size).</param>
    /// <param name="inputs">Number of layer inputs (fan-in).</param>
    /// <param name="wt">Weights Wᵀ, shape [inputs × outputs].</param>
    /// <param name="bias">Biases b, length outputs.</param>
    /// <param name="outputs">Number of layer outputs (fan-out).</param>
    /// <param name="z">Destination Z, shape [rows × outputs]; overwritten; must not overlap the inputs.</param>
    /// <param name="activation">The hidden activation f, or null for none.</param>
    /// <param name="threads">Maximum threads, the caller included (1 = run on the caller only).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ComputeTransposed(
        ReadOnlySpan<float> a,
        int rows,
        int inputs,
        ReadOnlySpan<float> wt,
        ReadOnlySpan<float> bias,
        int outputs,
        Span<float> z,
        HiddenActivation? activation,
        int threads = 1)
    {
        a = a[..(rows * inputs)];
        wt = wt[..(inputs * outputs)];
        bias = bias[..outputs];
        z = z[..(rows * outputs)];
        fixed (float* pa = a, pw = wt, pb = bias, pz = z)
        {
            var problem = new PanelGemmProblem
            {
                A = pa,
                RowStrideA = inputs,
                SumStrideA = 1,
                B = pw,
                C = pz,
                Bias = pb,
                M = rows,
                N = outputs,
                K = inputs,
                Activation = activation,
                Mode = KernelEpilogue.ModeOf(activation),
                Isa = KernelPath.Current,
            };
            problem.Plan(KernelTuner.ShapeFor(TunedKernel.ForwardPanels, problem, threads, KernelTuner.EnabledOnCurrentThread));
            KernelRunner.Run(problem, threads);
        }
    }
}
