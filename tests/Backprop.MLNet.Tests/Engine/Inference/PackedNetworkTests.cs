using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine.Parallel;
using Backprop.MLNet.Tests.Engine.Kernels;

namespace Backprop.MLNet.Tests.Engine.Inference;

/// <summary>
/// The prediction copy of a network (<see cref="PackedNetwork"/>): every kernel path against a double reference on
/// odd shapes, one row alone bit-identical to the same row inside any batch and on any thread count (with the
/// one-row path skipping zero inputs), the panel layout, and no allocation per call.
/// </summary>
public class PackedNetworkTests
{
    /// <summary>Every supported kernel path, passed as int (the enum is internal).</summary>
    public static IEnumerable<object[]> Paths()
    {
        foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
        {
            if (KernelPath.IsSupported(isa))
            {
                yield return [(int)isa];
            }
        }
    }

    /// <summary>Shapes that hit 1×1, widths below, at and above a vector and a 64-wide panel, and one-layer networks.</summary>
    private static readonly (int Inputs, int[] Hidden, int Outputs)[] Shapes =
    [
        (1, [], 1),
        (1, [1], 1),
        (5, [17], 3),
        (16, [64], 16),
        (33, [63, 65], 10),
        (70, [130], 64),
        (203, [141, 37], 11),
    ];

    private static readonly int[] RowCounts = [1, 2, 5, 6, 7, 13, 48, 49, 97];

    /// <summary>Each layer's outputs equal f(Σ a·w + b) computed in double from the layer's actual inputs, within the kernels' tolerance.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void EveryLayerMatchesADoubleReference(int isa)
    {
        using (KernelPath.Force((KernelIsa)isa))
        {
            int seed = 10;
            foreach ((int inputs, int[] hidden, int outputs) in Shapes)
            {
                foreach (ActivationKind activation in new[] { ActivationKind.Relu, ActivationKind.Tanh, ActivationKind.Identity })
                {
                    var network = new Network(inputs, hidden, outputs, activation, OutputKind.Softmax);
                    network.InitializeGlorot(seed);
                    TestData.Uniform(new SeededRandom(seed + 1), network.BiasesOf(0).Length).CopyTo(network.BiasesOf(0));
                    var packed = new PackedNetwork(network);
                    foreach (int rows in RowCounts)
                    {
                        float[] x = TestData.Uniform(new SeededRandom(seed++), rows * inputs);
                        InferenceScratch scratch = network.CreateScratch(rows);
                        ReadOnlySpan<float> result = packed.Forward(x, rows, scratch, threads: 2);
                        float[] a = x;
                        for (int l = 0; l < network.LayerCount; l++)
                        {
                            bool last = l == network.LayerCount - 1;
                            float[] z = last ? scratch.LastLogits.ToArray() : scratch.HiddenActivations(l).ToArray();
                            CheckLayer(a, network.WeightsOf(l).ToArray(), network.BiasesOf(l).ToArray(), network.LayerSizes[l], network.LayerSizes[l + 1],
                                rows, z, last ? ActivationKind.Identity : activation, $"{(KernelIsa)isa} {inputs}-{string.Join("-", hidden)}-{outputs} {activation} rows {rows} layer {l}");
                            a = z;
                        }

                        var expected = new float[rows * outputs];
                        for (int r = 0; r < rows; r++)
                        {
                            network.OutputLayer.Activate(a.AsSpan(r * outputs, outputs), expected.AsSpan(r * outputs, outputs), outputs);
                        }

                        Assert.Equal(expected, result.ToArray());
                    }
                }
            }
        }
    }

    /// <summary>
    /// Rows with many zeros (and −0, and a NaN row) give the same bits alone (the sparse one-row kernel) as inside a
    /// batch of 97 (the tiles, including the 1-row leftover tile), for 1, 2, 3 and 8 threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void OneRowAloneIsBitIdenticalToItsRowInAnyBatch(int isa)
    {
        const int rows = 97, inputs = 203, outputs = 11;
        foreach (ActivationKind activation in new[] { ActivationKind.Relu, ActivationKind.Gelu })
        {
            var network = new Network(inputs, [141, 37], outputs, activation, OutputKind.Softmax);
            network.InitializeGlorot(3);
            var packed = new PackedNetwork(network);
            float[] x = TestData.Uniform(new SeededRandom(4), rows * inputs);
            var random = new SeededRandom(5);
            for (int i = 0; i < x.Length; i++)
            {
                double u = random.NextDouble();
                x[i] = u < 0.4 ? 0f : u < 0.5 ? -0f : x[i];
            }

            x[(7 * inputs) + 11] = float.NaN;
            using (KernelPath.Force((KernelIsa)isa))
            {
                float[]? batch = null;
                foreach (int threads in new[] { 1, 2, 3, 8 })
                {
                    float[] result = packed.Forward(x, rows, network.CreateScratch(rows), threads).ToArray();
                    batch ??= result;
                    Assert.Equal(batch, result);
                }

                InferenceScratch one = network.CreateScratch(1);
                for (int r = 0; r < rows; r++)
                {
                    float[] alone = packed.Forward(x.AsSpan(r * inputs, inputs), 1, one).ToArray();
                    Assert.Equal(batch!.AsSpan(r * outputs, outputs).ToArray(), alone);
                }

                Assert.True(float.IsNaN(batch![7 * outputs]), "A NaN input gives NaN outputs.");
                Assert.False(float.IsNaN(batch[8 * outputs]));
            }
        }
    }

    /// <summary>
    /// A wide first layer is split over threads even for one row (it is large enough to pass the parallel threshold):
    /// 1, 2, 3 and 8 threads give the same bits, equal to the row inside a batch.
    /// </summary>
    [Fact]
    public void OneRowOverAWideLayerIsSplitOverThreadsWithTheSameBits()
    {
        var network = new Network(784, [256], 10, ActivationKind.Relu, OutputKind.Softmax);
        network.InitializeGlorot(6);
        var packed = new PackedNetwork(network);
        // One row alone goes as the list of its non-zero inputs: here all 784.
        Assert.True(PanelForwardProblem.SparseWork(784, 256) >= KernelRunner.MinimumParallelWork, "one row of a 784×256 layer should be split over threads");

        float[] x = TestData.Uniform(new SeededRandom(7), 5 * 784);
        float[] batch = packed.Forward(x, 5, network.CreateScratch(5)).ToArray();
        InferenceScratch one = network.CreateScratch(1);
        foreach (int threads in new[] { 1, 2, 3, 8 })
        {
            for (int r = 0; r < 5; r++)
            {
                Assert.Equal(batch.AsSpan(r * 10, 10).ToArray(), packed.Forward(x.AsSpan(r * 784, 784), 1, one, threads).ToArray());
            }
        }
    }

    /// <summary>The paths agree bit for bit where they all multiply–add with a fused FMA (every path of an FMA processor).</summary>
    [Fact]
    public void FusedPathsAgreeBitForBit()
    {
        var network = new Network(100, [70], 19, ActivationKind.Relu, OutputKind.Identity);
        network.InitializeGlorot(8);
        var packed = new PackedNetwork(network);
        float[] x = TestData.Uniform(new SeededRandom(9), 31 * 100);
        float[]? first = null;
        foreach (object[] path in Paths())
        {
            var isa = (KernelIsa)(int)path[0];
            if (isa == KernelIsa.Portable && !System.Runtime.Intrinsics.X86.Fma.IsSupported)
            {
                continue;
            }

            using (KernelPath.Force(isa))
            {
                float[] result = packed.Forward(x, 31, network.CreateScratch(31)).ToArray();
                first ??= result;
                Assert.Equal(first, result);
            }
        }
    }

    /// <summary>The training forward pass and the packed one sum in different orders but agree to float rounding.</summary>
    [Fact]
    public void AgreesWithTheTrainingForwardPass()
    {
        var network = new Network(784, [256, 128], 10, ActivationKind.Relu, OutputKind.Softmax);
        network.InitializeGlorot(1);
        float[] x = TestData.Uniform(new SeededRandom(2), 64 * 784);
        float[] training = network.Forward(x, 64, network.CreateScratch(64)).ToArray();
        float[] packed = new PackedNetwork(network).Forward(x, 64, network.CreateScratch(64)).ToArray();
        for (int i = 0; i < training.Length; i++)
        {
            Assert.True(Math.Abs(training[i] - packed[i]) <= 1e-5, $"probability {i}: {training[i]} vs {packed[i]}");
        }
    }

    /// <summary>Panels are 64 outputs wide; the last is the rest rounded up to 16, and its padding is never stored.</summary>
    [Theory]
    [InlineData(1, 1, 16)]
    [InlineData(10, 1, 16)]
    [InlineData(16, 1, 16)]
    [InlineData(17, 1, 32)]
    [InlineData(64, 1, 64)]
    [InlineData(65, 2, 16)]
    [InlineData(130, 3, 16)]
    [InlineData(256, 4, 64)]
    public void PanelsAre64WideWithARoundedLastPanel(int outputs, int panels, int lastWidth)
    {
        var layer = new PackedNetwork.Layer(7, outputs, 0);
        Assert.Equal(panels, layer.PanelCount);
        Assert.Equal(lastWidth, layer.PanelWidthOf(panels - 1));
        Assert.Equal(7L * (((panels - 1) * 64) + lastWidth), layer.BiasOffset);
    }

    /// <summary>
    /// A sparse row takes as many vectors per call as the kernel holds (4) and as divide its panel (16, 32, 48 or 64
    /// outputs: 1–4 vectors of 16, 2–8 of 8, 4–16 of 4), so a call never reads past the panel; AVX2's 64-output panel
    /// goes in two calls of 4, not four of 2 as its dense tiles do.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(4, 4)]
    [InlineData(6, 2)]
    [InlineData(8, 4)]
    [InlineData(12, 4)]
    [InlineData(16, 4)]
    public void ASparseRowTakesTheMostVectorsThatDivideItsPanel(int panelVectors, int perCall)
    {
        int got = PanelForwardProblem.RowVectors(panelVectors);
        Assert.Equal(perCall, got);
        Assert.Equal(0, panelVectors % got);
    }

    /// <summary>A layout larger than the limit is refused (prediction then uses the training layout); at the limit it is built.</summary>
    [Fact]
    public void TryCreateRefusesALayoutOverTheLimit()
    {
        var network = new Network(1000, [], 1, ActivationKind.Relu, OutputKind.Sigmoid);
        long required = PackedNetwork.RequiredFloats(network);
        Assert.Equal((1000L * 16) + 64 + 16, required); // one output padded to a 16-wide panel, its bias row, alignment slack
        Assert.Null(PackedNetwork.TryCreate(network, required - 1));
        Assert.NotNull(PackedNetwork.TryCreate(network, required));
    }

    /// <summary>Scoring one row or a block allocates nothing after the first call.</summary>
    [Fact]
    public void ForwardAllocatesNothing()
    {
        var network = new Network(50, [40, 30], 3, ActivationKind.Tanh, OutputKind.Softmax);
        network.InitializeGlorot(4);
        var packed = new PackedNetwork(network);
        float[] x = TestData.Uniform(new SeededRandom(5), 20 * 50);
        InferenceScratch one = network.CreateScratch(1), block = network.CreateScratch(20);
        packed.Forward(x, 1, one);
        packed.Forward(x, 20, block);
        Assert.Equal(0, ThreadAllocations.Quietest(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                packed.Forward(x.AsSpan(i % 20 * 50), 1, one);
                packed.Forward(x, 20, block);
            }
        }));
    }

    private static void CheckLayer(float[] a, float[] w, float[] b, int inputs, int outputs, int rows, float[] z, ActivationKind activation, string where)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outputs; o++)
            {
                (double sum, double abs) = KernelReference.Forward(a, w, b, inputs, r, o);
                double expected = KernelReference.Activate(activation, sum);
                double tolerance = KernelReference.Tolerance(inputs + 1, abs);
                double actual = z[(r * outputs) + o];
                Assert.True(Math.Abs(actual - expected) <= tolerance, $"{where}: z[{r},{o}] = {actual}, expected {expected} ± {tolerance}");
            }
        }
    }
}
