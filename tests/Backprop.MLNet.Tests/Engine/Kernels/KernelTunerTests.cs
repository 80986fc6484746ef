using System.Runtime.InteropServices;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Tests.Engine.Kernels;

/// <summary>
/// The kernel tuner may pick any candidate shape without changing a bit; it is bounded, remembers its choice and
/// can be turned off.
/// </summary>
public class KernelTunerTests
{
    /// <summary>Sizes with tails in every dimension: rows vs the 6-, 4- and 2-row tiles, columns vs 32/64-wide panels, outputs vs 4 and 8.</summary>
    public static TheoryData<int, int, int, int> OddShapes()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (object[] path in KernelDeterminismTests.Paths())
        {
            data.Add((int)path[0], 37, 203, 45);
            data.Add((int)path[0], 131, 77, 70);
        }

        return data;
    }

    /// <summary>
    /// Every candidate shape of the forward (over W and over Wᵀ), input-gradient and weight-gradient kernels (over W and Wᵀ),
    /// on 1 and 2 threads, gives the bits of the default shape on one thread, for a generic and a ReLU activation.
    /// </summary>
    [Theory]
    [MemberData(nameof(OddShapes))]
    public void EveryCandidateGivesTheBitsOfTheDefault(int isaCode, int rows, int inputs, int outputs)
    {
        var isa = (KernelIsa)isaCode;
        float[] a = TestData.Uniform(new SeededRandom(11), rows * inputs);
        float[] w = TestData.Uniform(new SeededRandom(12), outputs * inputs);
        float[] b = TestData.Uniform(new SeededRandom(13), outputs);
        float[] delta = TestData.Uniform(new SeededRandom(14), rows * outputs);
        using (KernelPath.Force(isa))
        {
            int[] expectedForward, expectedInput, expectedWeight, expectedPanels;
            using (KernelTuner.Force(DotShape.Default(isa)))
            {
                expectedForward = Forward(a, w, b, rows, inputs, outputs, threads: 1);
            }

            using (KernelTuner.Force(GemmShape.Default(isa)))
            {
                (expectedInput, expectedWeight) = Backward(a, w, delta, rows, inputs, outputs, threads: 1);
                expectedPanels = ForwardPanels(a, w, b, rows, inputs, outputs, threads: 1);
            }

            foreach (int threads in new[] { 1, 2 })
            {
                foreach (DotShape shape in DotShape.Candidates(isa))
                {
                    using (KernelTuner.Force(shape))
                    {
                        Assert.True(expectedForward.AsSpan().SequenceEqual(Forward(a, w, b, rows, inputs, outputs, threads)), $"forward, {shape}, {threads} threads");
                    }
                }

                foreach (GemmShape shape in GemmShape.Candidates(isa))
                {
                    using (KernelTuner.Force(shape))
                    {
                        (int[] input, int[] weight) = Backward(a, w, delta, rows, inputs, outputs, threads);
                        Assert.True(expectedInput.AsSpan().SequenceEqual(input), $"input gradient, {shape}, {threads} threads");
                        Assert.True(expectedWeight.AsSpan().SequenceEqual(weight), $"weight gradient, {shape}, {threads} threads");
                        Assert.True(expectedPanels.AsSpan().SequenceEqual(ForwardPanels(a, w, b, rows, inputs, outputs, threads)), $"forward over Wᵀ, {shape}, {threads} threads");
                    }
                }
            }
        }
    }

    /// <summary>The defaults are the first candidates (the tuner times them first and keeps them on near-ties).</summary>
    [Theory]
    [MemberData(nameof(KernelDeterminismTests.Paths), MemberType = typeof(KernelDeterminismTests))]
    public void DefaultsAreTheFirstCandidates(int isaCode)
    {
        var isa = (KernelIsa)isaCode;
        Assert.Equal(GemmShape.Default(isa), GemmShape.Candidates(isa)[0]);
        Assert.Equal(DotShape.Default(isa), DotShape.Candidates(isa)[0]);
        Assert.All(DotShape.Candidates(isa), s => Assert.Equal(0, s.OutputsPerTask % ForwardProblem.ActivationSegment));
    }

    /// <summary>BACKPROP_MLNET_KERNEL_TUNING=off (or 0, false) turns tuning off; unset, on, 1 or true leave it on.</summary>
    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("on", true)]
    [InlineData(" TRUE ", true)]
    [InlineData("1", true)]
    [InlineData("off", false)]
    [InlineData(" OFF ", false)]
    [InlineData("0", false)]
    [InlineData("False", false)]
    public void TheEnvironmentVariableTurnsTuningOff(string? value, bool enabled)
    {
        (bool? parsed, string? error) = KernelTuner.Parse(value);
        Assert.Equal(enabled, parsed);
        Assert.Null(error);
    }

    /// <summary>Any other value is refused with a message naming the variable and its values, never read as on or off.</summary>
    [Theory]
    [InlineData("no")]
    [InlineData("2")]
    [InlineData("of")]
    public void OtherValuesAreRefused(string value)
    {
        (bool? parsed, string? error) = KernelTuner.Parse(value);
        Assert.Null(parsed);
        Assert.Contains(KernelTuner.EnvironmentVariable, error);
        Assert.Contains($"'{value}'", error);
    }

    /// <summary>With tuning off a large product gets the default shapes and nothing is timed.</summary>
    [Theory]
    [MemberData(nameof(KernelDeterminismTests.Paths), MemberType = typeof(KernelDeterminismTests))]
    public void TuningOffPinsTheDefaults(int isaCode)
    {
        var isa = (KernelIsa)isaCode;
        var gemm = new PanelGemmProblem { M = 1000, N = 1000, K = 1000, Isa = isa };
        var forward = new ForwardProblem { Rows = 1000, Inputs = 1000, Outputs = 1000, Isa = isa };
        int runs = KernelTuner.RunsOnCurrentThread;
        Assert.Equal(GemmShape.Default(isa), KernelTuner.ShapeFor(TunedKernel.WeightGradient, gemm, 2, enabled: false));
        Assert.Equal(DotShape.Default(isa), KernelTuner.ShapeFor(forward, 2, enabled: false));
        Assert.Equal(runs, KernelTuner.RunsOnCurrentThread);
    }

    /// <summary>
    /// Tuning a new size class runs each candidate at most <see cref="KernelTuner.RunsPerCandidate"/> times and logs its
    /// pick; the next product of the class times nothing; the results are those of the default shapes.
    /// </summary>
    [Theory]
    [MemberData(nameof(KernelDeterminismTests.Paths), MemberType = typeof(KernelDeterminismTests))]
    public void TuningIsBoundedAndRemembered(int isaCode)
    {
        var isa = (KernelIsa)isaCode;

        // Size classes no other test uses: forward ≤ 2048 × 64 × 512, input gradient ≤ 2048 × 512 × 64.
        const int rows = 1999, inputs = 500, outputs = 63;
        float[] a = TestData.Uniform(new SeededRandom(21), rows * inputs);
        float[] w = TestData.Uniform(new SeededRandom(22), outputs * inputs);
        float[] b = TestData.Uniform(new SeededRandom(23), outputs);
        float[] delta = TestData.Uniform(new SeededRandom(24), rows * outputs);
        var z = new float[rows * outputs];
        var g = new float[rows * inputs];
        var gw = new float[outputs * inputs];
        var gb = new float[outputs];
        var gwDefault = new float[outputs * inputs];
        var gbDefault = new float[outputs];
        float[] zTuned, gTuned, gwTuned, gbTuned;
        using (KernelPath.Force(isa))
        {
            using (KernelTuner.ForceTuning(true))
            {
                int before = KernelTuner.RunsOnCurrentThread;
                DenseForwardKernel.Compute(a, rows, inputs, w, b, outputs, z, TanhActivation.Instance, threads: 1);
                int forwardRuns = KernelTuner.RunsOnCurrentThread - before;
                InputGradientKernel.Compute(delta, rows, outputs, w, inputs, g, ReluActivation.Instance, a, threads: 1);
                int gradientRuns = KernelTuner.RunsOnCurrentThread - before - forwardRuns;
                WeightGradientKernel.Compute(delta, rows, outputs, a, inputs, gw, gb, threads: 1);
                // The products that were tuned: the timing runs must leave them what they would be without tuning.
                (zTuned, gTuned, gwTuned, gbTuned) = ((float[])z.Clone(), (float[])g.Clone(), (float[])gw.Clone(), (float[])gb.Clone());

                Assert.InRange(forwardRuns, 0, DotShape.Candidates(isa).Length * KernelTuner.RunsPerCandidate);
                Assert.InRange(gradientRuns, 0, GemmShape.Candidates(isa).Length * KernelTuner.RunsPerCandidate);
                Assert.Equal(0, forwardRuns % KernelTuner.RunsPerCandidate);
                Assert.Equal(0, gradientRuns % KernelTuner.RunsPerCandidate);

                int after = KernelTuner.RunsOnCurrentThread;
                DenseForwardKernel.Compute(a, rows, inputs, w, b, outputs, z, TanhActivation.Instance, threads: 1);
                InputGradientKernel.Compute(delta, rows, outputs, w, inputs, g, ReluActivation.Instance, a, threads: 1);
                Assert.Equal(after, KernelTuner.RunsOnCurrentThread);
                if (forwardRuns > 0)
                {
                    Assert.Contains(KernelTuner.Choices, line => line.StartsWith($"Forward {isa} 1 thread ≤2048×64×512: ", StringComparison.Ordinal));
                }
            }

            var zDefault = new float[rows * outputs];
            var gDefault = new float[rows * inputs];
            using (KernelTuner.ForceTuning(false))
            {
                int before = KernelTuner.RunsOnCurrentThread;
                DenseForwardKernel.Compute(a, rows, inputs, w, b, outputs, zDefault, TanhActivation.Instance, threads: 1);
                InputGradientKernel.Compute(delta, rows, outputs, w, inputs, gDefault, ReluActivation.Instance, a, threads: 1);
                WeightGradientKernel.Compute(delta, rows, outputs, a, inputs, gwDefault, gbDefault, threads: 1);
                Assert.Equal(before, KernelTuner.RunsOnCurrentThread);
            }

            Assert.True(Bits(zDefault).AsSpan().SequenceEqual(Bits(z)));
            Assert.True(Bits(gDefault).AsSpan().SequenceEqual(Bits(g)));
            Assert.True(Bits(zDefault).AsSpan().SequenceEqual(Bits(zTuned)), "The forward product that was tuned differs.");
            Assert.True(Bits(gDefault).AsSpan().SequenceEqual(Bits(gTuned)), "The input gradient that was tuned differs.");
            Assert.True(Bits(gwDefault).AsSpan().SequenceEqual(Bits(gwTuned)), "The weight gradient that was tuned differs.");
            Assert.True(Bits(gbDefault).AsSpan().SequenceEqual(Bits(gbTuned)), "The bias gradient that was tuned differs.");
        }
    }

    /// <summary>Products too small to matter are never timed.</summary>
    [Fact]
    public void SmallProductsKeepTheDefaults()
    {
        var gemm = new PanelGemmProblem { M = 100, N = 100, K = 100, Isa = KernelIsa.Portable };
        int runs = KernelTuner.RunsOnCurrentThread;
        Assert.Equal(GemmShape.Default(KernelIsa.Portable), KernelTuner.ShapeFor(TunedKernel.WeightGradient, gemm, 2, enabled: true));
        Assert.Equal(runs, KernelTuner.RunsOnCurrentThread);
    }

    private static int[] Forward(float[] a, float[] w, float[] b, int rows, int inputs, int outputs, int threads)
    {
        var tanh = new float[rows * outputs];
        var relu = new float[rows * outputs];
        DenseForwardKernel.Compute(a, rows, inputs, w, b, outputs, tanh, TanhActivation.Instance, threads);
        DenseForwardKernel.Compute(a, rows, inputs, w, b, outputs, relu, ReluActivation.Instance, threads);
        return [.. Bits(tanh), .. Bits(relu)];
    }

    /// <summary>The forward product over Wᵀ (tanh, ReLU and none) and the weight gradient held transposed.</summary>
    private static int[] ForwardPanels(float[] a, float[] w, float[] b, int rows, int inputs, int outputs, int threads)
    {
        var wt = new float[w.Length];
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                wt[(i * outputs) + o] = w[(o * inputs) + i];
            }
        }

        var tanh = new float[rows * outputs];
        var relu = new float[rows * outputs];
        var plain = new float[rows * outputs];
        var gwt = new float[outputs * inputs];
        var gb = new float[outputs];
        DenseForwardKernel.ComputeTransposed(a, rows, inputs, wt, b, outputs, tanh, TanhActivation.Instance, threads);
        DenseForwardKernel.ComputeTransposed(a, rows, inputs, wt, b, outputs, relu, ReluActivation.Instance, threads);
        DenseForwardKernel.ComputeTransposed(a, rows, inputs, wt, b, outputs, plain, null, threads);
        WeightGradientKernel.ComputeTransposed(plain, rows, outputs, a, inputs, gwt, gb, threads);
        return [.. Bits(tanh), .. Bits(relu), .. Bits(plain), .. Bits(gwt), .. Bits(gb)];
    }

    private static (int[] Input, int[] Weight) Backward(float[] a, float[] w, float[] delta, int rows, int inputs, int outputs, int threads)
    {
        var plain = new float[rows * inputs];
        var tanh = new float[rows * inputs];
        var relu = new float[rows * inputs];
        var gw = new float[outputs * inputs];
        var gb = new float[outputs];
        InputGradientKernel.Compute(delta, rows, outputs, w, inputs, plain, null, default, threads);
        InputGradientKernel.Compute(delta, rows, outputs, w, inputs, tanh, TanhActivation.Instance, a, threads);
        InputGradientKernel.Compute(delta, rows, outputs, w, inputs, relu, ReluActivation.Instance, a, threads);
        WeightGradientKernel.Compute(delta, rows, outputs, a, inputs, gw, gb, threads);
        return ([.. Bits(plain), .. Bits(tanh), .. Bits(relu)], [.. Bits(gw), .. Bits(gb)]);
    }

    private static int[] Bits(float[] values) => MemoryMarshal.Cast<float, int>(values).ToArray();
}
