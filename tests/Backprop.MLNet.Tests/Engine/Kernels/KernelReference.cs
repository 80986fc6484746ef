using Backprop.MLNet.Engine.Activations;

namespace Backprop.MLNet.Tests.Engine.Kernels;

/// <summary>Naive double-accumulating versions of the three dense-layer products, and the tolerance to compare with.</summary>
internal static class KernelReference
{
    /// <summary>
    /// Allowed |float32 result − double reference| for a sum of k products whose absolute values add
    /// up to <paramref name="absoluteSum"/>: 1e-5·√k·Σ|terms| (+1e-30 for all-zero sums).
    /// </summary>
    /// <remarks>
    /// Any float32 summation order (FMA chains, lane-split vectors, horizontal adds) is within
    /// k·u·Σ|terms| of the exact sum, u = 2⁻²⁴ ≈ 6e-8; typical errors are ~√k·u·Σ|terms|. The bound
    /// used here, 1e-5·√k, is ≈ 170× the typical error and above the worst case k·u for every k up
    /// to 27 000, yet a wrong or missing term (error ≈ one term ≈ Σ|terms|/k) still fails it for
    /// k ≤ 10⁴.
    /// </remarks>
    /// <param name="k">Number of products summed.</param>
    /// <param name="absoluteSum">Σ|terms|.</param>
    public static double Tolerance(int k, double absoluteSum) => (1e-5 * Math.Sqrt(Math.Max(k, 1)) * absoluteSum) + 1e-30;

    /// <summary>z[r, o] = Σ_i a[r, i]·w[o, i] + b[o] with its Σ|terms| (bias included).</summary>
    public static (double Value, double AbsoluteSum) Forward(float[] a, float[] w, float[] b, int inputs, int r, int o)
    {
        double sum = b[o];
        double abs = Math.Abs(b[o]);
        for (int i = 0; i < inputs; i++)
        {
            double term = (double)a[(r * inputs) + i] * w[(o * inputs) + i];
            sum += term;
            abs += Math.Abs(term);
        }

        return (sum, abs);
    }

    /// <summary>g[r, i] = Σ_o delta[r, o]·w[o, i] with its Σ|terms|.</summary>
    public static (double Value, double AbsoluteSum) InputGradient(float[] delta, float[] w, int outputs, int inputs, int r, int i)
    {
        double sum = 0;
        double abs = 0;
        for (int o = 0; o < outputs; o++)
        {
            double term = (double)delta[(r * outputs) + o] * w[(o * inputs) + i];
            sum += term;
            abs += Math.Abs(term);
        }

        return (sum, abs);
    }

    /// <summary>gw[o, i] = Σ_r delta[r, o]·a[r, i] with its Σ|terms|.</summary>
    public static (double Value, double AbsoluteSum) WeightGradient(float[] delta, float[] a, int rows, int outputs, int inputs, int o, int i)
    {
        double sum = 0;
        double abs = 0;
        for (int r = 0; r < rows; r++)
        {
            double term = (double)delta[(r * outputs) + o] * a[(r * inputs) + i];
            sum += term;
            abs += Math.Abs(term);
        }

        return (sum, abs);
    }

    /// <summary>f(z) in double for the activations the tests use.</summary>
    public static double Activate(ActivationKind kind, double z) => kind switch
    {
        ActivationKind.Relu => Math.Max(z, 0),
        ActivationKind.Tanh => Math.Tanh(z),
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-z)),
        _ => z,
    };

    /// <summary>f′ expressed from the output a = f(z), in double.</summary>
    public static double Derivative(ActivationKind kind, double a) => kind switch
    {
        ActivationKind.Relu => a > 0 ? 1 : 0,
        ActivationKind.Tanh => 1 - (a * a),
        ActivationKind.Sigmoid => a * (1 - a),
        _ => 1,
    };
}
