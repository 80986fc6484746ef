using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Tests.Engine.Kernels;

/// <summary>The three dense-layer matrix kernels against naive double-precision loops.</summary>
public class KernelTests
{
    // Odd sizes exercise the SIMD remainder paths; 37 > 32 covers more than one AVX-512 vector.
    private const int Rows = 5;
    private const int Inputs = 37;
    private const int Outputs = 11;

    // Dot products of 37 (or sums of 11 / 5) float products of values in [−1, 1]: float32
    // accumulation error is at most ~n·ε·Σ|terms| ≈ 37·6e-8·37 ≈ 1e-4 worst case, typically ~1e-6.
    private const double Tolerance = 1e-4;

    private static readonly SeededRandom Random = new(17);

    /// <summary>Z = A·Wᵀ + b.</summary>
    [Fact]
    public void ForwardKernel()
    {
        float[] a = TestData.Uniform(new SeededRandom(1), Rows * Inputs);
        float[] w = TestData.Uniform(new SeededRandom(2), Outputs * Inputs);
        float[] b = TestData.Uniform(new SeededRandom(3), Outputs);
        var z = new float[Rows * Outputs];
        DenseForwardKernel.Compute(a, Rows, Inputs, w, b, Outputs, z);
        for (int r = 0; r < Rows; r++)
        {
            for (int o = 0; o < Outputs; o++)
            {
                double expected = b[o];
                for (int i = 0; i < Inputs; i++)
                {
                    expected += (double)a[(r * Inputs) + i] * w[(o * Inputs) + i];
                }

                Assert.Equal(expected, z[(r * Outputs) + o], Tolerance);
            }
        }
    }

    /// <summary>G = Δ·W, overwriting stale destination contents.</summary>
    [Fact]
    public void InputGradientKernel()
    {
        float[] delta = TestData.Uniform(new SeededRandom(4), Rows * Outputs);
        float[] w = TestData.Uniform(new SeededRandom(5), Outputs * Inputs);
        float[] g = TestData.Uniform(new SeededRandom(6), Rows * Inputs, 100); // garbage to be overwritten
        Backprop.MLNet.Engine.Kernels.InputGradientKernel.Compute(delta, Rows, Outputs, w, Inputs, g);
        for (int r = 0; r < Rows; r++)
        {
            for (int i = 0; i < Inputs; i++)
            {
                double expected = 0;
                for (int o = 0; o < Outputs; o++)
                {
                    expected += (double)delta[(r * Outputs) + o] * w[(o * Inputs) + i];
                }

                Assert.Equal(expected, g[(r * Inputs) + i], Tolerance);
            }
        }
    }

    /// <summary>∂W = Δᵀ·A and ∂b = column sums of Δ, overwriting stale destination contents.</summary>
    [Fact]
    public void WeightGradientKernel()
    {
        float[] delta = TestData.Uniform(new SeededRandom(7), Rows * Outputs);
        float[] a = TestData.Uniform(new SeededRandom(8), Rows * Inputs);
        float[] gw = TestData.Uniform(Random, Outputs * Inputs, 100);
        float[] gb = TestData.Uniform(Random, Outputs, 100);
        Backprop.MLNet.Engine.Kernels.WeightGradientKernel.Compute(delta, Rows, Outputs, a, Inputs, gw, gb);
        for (int o = 0; o < Outputs; o++)
        {
            double bias = 0;
            for (int r = 0; r < Rows; r++)
            {
                bias += delta[(r * Outputs) + o];
            }

            Assert.Equal(bias, gb[o], Tolerance);
            for (int i = 0; i < Inputs; i++)
            {
                double expected = 0;
                for (int r = 0; r < Rows; r++)
                {
                    expected += (double)delta[(r * Outputs) + o] * a[(r * Inputs) + i];
                }

                Assert.Equal(expected, gw[(o * Inputs) + i], Tolerance);
            }
        }
    }
}
