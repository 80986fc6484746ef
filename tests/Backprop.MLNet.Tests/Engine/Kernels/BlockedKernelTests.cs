using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Tests.Engine.Kernels;

/// <summary>
/// The three blocked matrix kernels on every instruction-set path this machine runs, against naive
/// double-precision loops, for shapes that hit every edge: 1×1, one row, sizes that are not
/// multiples of any vector width or tile, tall/skinny and wide/short.
/// </summary>
public class BlockedKernelTests
{
    /// <summary>(rows, inputs, outputs) triples.</summary>
    private static readonly int[][] Shapes =
    [
        [1, 1, 1], [1, 37, 11], [5, 37, 11], [7, 3, 65], [130, 17, 3], [2, 200, 130], [13, 16, 64],
        [6, 64, 6], [9, 33, 70], [3, 785, 257], [4, 15, 4], [25, 129, 33],
    ];

    /// <summary>Every supported path (passed as int: the enum is internal) × every shape index.</summary>
    public static IEnumerable<object[]> Cases()
    {
        foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
        {
            if (!KernelPath.IsSupported(isa))
            {
                continue;
            }

            for (int s = 0; s < Shapes.Length; s++)
            {
                yield return [(int)isa, s];
            }
        }
    }

    /// <summary>
    /// Z = f(A·Wᵀ + b) for no activation, fused ReLU and a generic one (tanh), 1 and 3 threads, from W as the network holds
    /// it (dot-product tiles) and from Wᵀ as training holds its first layer (broadcast tiles).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesReference(int isa, int shape)
    {
        (int rows, int inputs, int outputs) = Shape(shape);
        float[] a = TestData.Uniform(new SeededRandom(1), rows * inputs);
        float[] w = TestData.Uniform(new SeededRandom(2), outputs * inputs);
        float[] wt = Transpose(w, outputs, inputs);
        float[] b = TestData.Uniform(new SeededRandom(3), outputs);
        foreach ((ActivationKind? kind, int threads, bool transposed) in
            from kind in new ActivationKind?[] { null, ActivationKind.Relu, ActivationKind.Tanh }
            from threads in new[] { 1, 3 }
            from transposed in new[] { false, true }
            select (kind, threads, transposed))
        {
            float[] z = TestData.Uniform(new SeededRandom(4), rows * outputs, 100); // stale contents to overwrite
            using (KernelPath.Force((KernelIsa)isa))
            {
                HiddenActivation? f = kind is null ? null : HiddenActivation.For(kind.Value);
                if (transposed)
                {
                    DenseForwardKernel.ComputeTransposed(a, rows, inputs, wt, b, outputs, z, f, threads);
                }
                else
                {
                    DenseForwardKernel.Compute(a, rows, inputs, w, b, outputs, z, f, threads);
                }
            }

            for (int r = 0; r < rows; r++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    (double expected, double abs) = KernelReference.Forward(a, w, b, inputs, r, o);
                    double tolerance = KernelReference.Tolerance(inputs, abs);
                    if (kind is { } k)
                    {
                        expected = KernelReference.Activate(k, expected);
                        tolerance += 1e-6; // the float32 activation itself
                    }

                    Assert.True(
                        Math.Abs(expected - z[(r * outputs) + o]) <= tolerance,
                        $"{(KernelIsa)isa} {kind} {(transposed ? "Wᵀ" : "W")} z[{r},{o}] = {z[(r * outputs) + o]}, expected {expected} ± {tolerance}");
                }
            }
        }
    }

    /// <summary>G = (Δ·W) ⊙ f′(A) for no derivative, fused ReLU′ and a generic one (tanh′), 1 and 3 threads.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void InputGradientMatchesReference(int isa, int shape)
    {
        (int rows, int inputs, int outputs) = Shape(shape);
        float[] delta = TestData.Uniform(new SeededRandom(5), rows * outputs);
        float[] w = TestData.Uniform(new SeededRandom(6), outputs * inputs);
        float[] activated = TestData.Uniform(new SeededRandom(7), rows * inputs);
        foreach (ActivationKind? kind in new ActivationKind?[] { null, ActivationKind.Relu, ActivationKind.Tanh })
        {
            foreach (int threads in new[] { 1, 3 })
            {
                float[] g = TestData.Uniform(new SeededRandom(8), rows * inputs, 100);
                using (KernelPath.Force((KernelIsa)isa))
                {
                    HiddenActivation? f = kind is null ? null : HiddenActivation.For(kind.Value);
                    InputGradientKernel.Compute(delta, rows, outputs, w, inputs, g, f, activated, threads);
                }

                for (int r = 0; r < rows; r++)
                {
                    for (int i = 0; i < inputs; i++)
                    {
                        (double expected, double abs) = KernelReference.InputGradient(delta, w, outputs, inputs, r, i);
                        double tolerance = KernelReference.Tolerance(outputs, abs);
                        if (kind is { } k)
                        {
                            double derivative = KernelReference.Derivative(k, activated[(r * inputs) + i]);
                            expected *= derivative;
                            tolerance = (tolerance * Math.Abs(derivative)) + 1e-7;
                        }

                        Assert.True(
                            Math.Abs(expected - g[(r * inputs) + i]) <= tolerance,
                            $"{(KernelIsa)isa} {kind} g[{r},{i}] = {g[(r * inputs) + i]}, expected {expected} ± {tolerance}");
                    }
                }
            }
        }
    }

    /// <summary>∂W = Δᵀ·A and ∂b = Σ_rows Δ, 1 and 3 threads; for weights held transposed, the same bits at the transposed places.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void WeightGradientMatchesReference(int isa, int shape)
    {
        (int rows, int inputs, int outputs) = Shape(shape);
        float[] delta = TestData.Uniform(new SeededRandom(9), rows * outputs);
        float[] a = TestData.Uniform(new SeededRandom(10), rows * inputs);
        foreach (int threads in new[] { 1, 3 })
        {
            float[] gw = TestData.Uniform(new SeededRandom(11), outputs * inputs, 100);
            float[] gb = TestData.Uniform(new SeededRandom(12), outputs, 100);
            using (KernelPath.Force((KernelIsa)isa))
            {
                WeightGradientKernel.Compute(delta, rows, outputs, a, inputs, gw, gb, threads);
            }

            for (int o = 0; o < outputs; o++)
            {
                double bias = 0;
                double biasAbs = 0;
                for (int r = 0; r < rows; r++)
                {
                    bias += delta[(r * outputs) + o];
                    biasAbs += Math.Abs(delta[(r * outputs) + o]);
                }

                Assert.True(Math.Abs(bias - gb[o]) <= KernelReference.Tolerance(rows, biasAbs), $"gb[{o}]");
                for (int i = 0; i < inputs; i++)
                {
                    (double expected, double abs) = KernelReference.WeightGradient(delta, a, rows, outputs, inputs, o, i);
                    Assert.True(
                        Math.Abs(expected - gw[(o * inputs) + i]) <= KernelReference.Tolerance(rows, abs),
                        $"{(KernelIsa)isa} gw[{o},{i}] = {gw[(o * inputs) + i]}, expected {expected}");
                }
            }

            float[] gwt = TestData.Uniform(new SeededRandom(13), outputs * inputs, 100);
            float[] gbt = TestData.Uniform(new SeededRandom(14), outputs, 100);
            using (KernelPath.Force((KernelIsa)isa))
            {
                WeightGradientKernel.ComputeTransposed(delta, rows, outputs, a, inputs, gwt, gbt, threads);
            }

            Assert.Equal(Transpose(gw, outputs, inputs), gwt);
            Assert.Equal(gb, gbt);
        }
    }

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var transposed = new float[matrix.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                transposed[(c * rows) + r] = matrix[(r * columns) + c];
            }
        }

        return transposed;
    }

    /// <summary>Forcing a path only affects the forcing thread and is undone by disposing the scope.</summary>
    [Fact]
    public void ForcedPathIsScopedToTheThread()
    {
        KernelIsa before = KernelPath.Current;
        using (KernelPath.Force(KernelIsa.Portable))
        {
            Assert.Equal(KernelIsa.Portable, KernelPath.Current);
            KernelIsa other = KernelIsa.Avx512;
            var thread = new System.Threading.Thread(() => other = KernelPath.Current);
            thread.Start();
            thread.Join();
            Assert.Equal(KernelPath.Detected, other);
        }

        Assert.Equal(before, KernelPath.Current);
    }

    /// <summary>The shape with index <paramref name="index"/>.</summary>
    private static (int Rows, int Inputs, int Outputs) Shape(int index) => (Shapes[index][0], Shapes[index][1], Shapes[index][2]);
}
