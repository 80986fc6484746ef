using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>
/// Finite-difference checks of <see cref="BackpropWorkspace.ComputeLossAndGradient"/> against
/// central differences of the independent double-precision <see cref="ReferenceMlp"/>.
/// </summary>
public class GradientCheckTests
{
    // Network 3-4-5-3: two hidden layers, 3 outputs (3 labels / 3 classes / 3 targets), 5 rows. With Sigmoid outputs this is
    // the multilabel loss: 3 independent sigmoid units, the sum over labels of binary cross-entropy, 0/1 targets per label.
    private static readonly int[] Sizes = [3, 4, 5, 3];
    private const int Rows = 5;
    private const float L2 = 0.01f;

    // Central differences on the double reference: truncation error O(h²·f''') ≈ 1e-12 and
    // rounding error ≈ 1e-16 / h ≈ 1e-10, so the numeric gradient is exact to ~1e-9, far below
    // the float32 error of the analytic gradient.
    private const double H = 1e-6;

    // The analytic gradient is computed in float32 (ε ≈ 6e-8) from sums of O(10) terms of size
    // ≤ O(1), so its error is a few 1e-7 absolute. We allow 1e-3 relative error, with the relative
    // scale floored at 1e-3 (so components smaller than 1e-3 must match to 1e-6 absolute).
    // A wrong term in the backward pass (missing f', missing l2, wrong scaling) gives errors of
    // order the gradient itself and fails this by orders of magnitude. Observed worst case over all
    // twelve combinations: 6e-5, i.e. a 16× margin.
    private const double RelativeTolerance = 1e-3;
    private const double ScaleFloor = 1e-3;

    /// <summary>Every hidden activation × every output kind (passed as int: the enum is internal); ReLU checked away from its kink.</summary>
    [Theory]
    [InlineData((int)ActivationKind.Identity, (int)OutputKind.Sigmoid)]
    [InlineData((int)ActivationKind.Identity, (int)OutputKind.Softmax)]
    [InlineData((int)ActivationKind.Identity, (int)OutputKind.Identity)]
    [InlineData((int)ActivationKind.Sigmoid, (int)OutputKind.Sigmoid)]
    [InlineData((int)ActivationKind.Sigmoid, (int)OutputKind.Softmax)]
    [InlineData((int)ActivationKind.Sigmoid, (int)OutputKind.Identity)]
    [InlineData((int)ActivationKind.Tanh, (int)OutputKind.Sigmoid)]
    [InlineData((int)ActivationKind.Tanh, (int)OutputKind.Softmax)]
    [InlineData((int)ActivationKind.Tanh, (int)OutputKind.Identity)]
    [InlineData((int)ActivationKind.Relu, (int)OutputKind.Sigmoid)]
    [InlineData((int)ActivationKind.Relu, (int)OutputKind.Softmax)]
    [InlineData((int)ActivationKind.Relu, (int)OutputKind.Identity)]
    [InlineData((int)ActivationKind.LeakyRelu, (int)OutputKind.Sigmoid)]
    [InlineData((int)ActivationKind.LeakyRelu, (int)OutputKind.Softmax)]
    [InlineData((int)ActivationKind.LeakyRelu, (int)OutputKind.Identity)]
    [InlineData((int)ActivationKind.Gelu, (int)OutputKind.Sigmoid)]
    [InlineData((int)ActivationKind.Gelu, (int)OutputKind.Softmax)]
    [InlineData((int)ActivationKind.Gelu, (int)OutputKind.Identity)]
    public void AnalyticGradientMatchesCentralDifferences(int activation, int outputKind) =>
        Check((ActivationKind)activation, (OutputKind)outputKind, weighted: false, seed: 11);

    /// <summary>The same check with non-uniform sample weights.</summary>
    [Theory]
    [InlineData((int)ActivationKind.Tanh, (int)OutputKind.Softmax)]
    [InlineData((int)ActivationKind.Relu, (int)OutputKind.Identity)]
    [InlineData((int)ActivationKind.Gelu, (int)OutputKind.Sigmoid)]
    public void WeightedGradientMatchesCentralDifferences(int activation, int outputKind) =>
        Check((ActivationKind)activation, (OutputKind)outputKind, weighted: true, seed: 12);

    private static void Check(ActivationKind activation, OutputKind kind, bool weighted, int seed)
    {
        var random = new SeededRandom(seed);
        var network = new Network(Sizes, activation, kind);
        network.InitializeGlorot(random);

        // Glorot weights are small; spread them a bit so that every layer contributes a sizeable gradient.
        for (int i = 0; i < network.ParameterCount; i++)
        {
            network.Parameters[i] *= 1.5f;
        }

        float[] x = TestData.Uniform(random, Rows * Sizes[0], 1.5);
        float[] y = TestData.Targets(random, kind, Rows, Sizes[^1]);
        float[]? w = weighted ? [0.5f, 2f, 1f, 3f, 0.25f] : null;

        double[] p = Array.ConvertAll(network.Parameters, v => (double)v);
        double referenceLoss = ReferenceMlp.Loss(Sizes, activation, kind, p, x, y, Rows, L2, w, out double minAbsZ);
        if (activation is ActivationKind.Relu or ActivationKind.LeakyRelu)
        {
            // Guard: a perturbation of h moves a pre-activation by at most h·(1 + Σ|a|) < 1e-5, so
            // every pre-activation must be farther than that from the kink at 0.
            Assert.True(minAbsZ > 1e-4, $"A ReLU pre-activation ({minAbsZ}) is too close to the kink; pick another seed.");
        }

        var workspace = new BackpropWorkspace(network, Rows);
        var gradient = new float[network.ParameterCount];
        double loss = workspace.ComputeLossAndGradient(x, y, Rows, L2, gradient, w);

        // The float32 forward pass agrees with the double reference to float precision.
        Assert.Equal(referenceLoss, loss, 1e-5 * Math.Max(1, Math.Abs(referenceLoss)));

        double[] numeric = ReferenceMlp.NumericGradient(Sizes, activation, kind, network.Parameters, x, y, Rows, L2, w, H);
        double worst = 0;
        int worstIndex = -1;
        double norm = 0;
        for (int i = 0; i < numeric.Length; i++)
        {
            norm = Math.Max(norm, Math.Abs(numeric[i]));
            double error = Math.Abs(gradient[i] - numeric[i]) / Math.Max(Math.Abs(numeric[i]), ScaleFloor);
            if (error > worst)
            {
                worst = error;
                worstIndex = i;
            }
        }

        // The check is meaningful only if the gradient is not (nearly) zero.
        Assert.True(norm > 1e-2, $"Gradient unexpectedly tiny (max |g| = {norm}).");
        Assert.True(
            worst <= RelativeTolerance,
            $"Parameter {worstIndex}: analytic {(worstIndex >= 0 ? gradient[worstIndex] : 0)} vs numeric {(worstIndex >= 0 ? numeric[worstIndex] : 0)} (scaled error {worst}).");
    }
}
