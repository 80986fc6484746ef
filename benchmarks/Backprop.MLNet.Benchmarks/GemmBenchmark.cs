using System.Diagnostics;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The internal matrix kernels at FMNIST-MLP's shapes, batch 128: for each layer (in → out) the forward product
/// Z = f(A·Wᵀ + b), the input gradient G = (Δ·W) ⊙ f′(A) and the weight gradient ∂W = Δᵀ·A (+ ∂b), each
/// 2·128·in·out FLOP, on 1 and 2 threads; for the first layer also the forward product and weight gradient over the
/// transposed weights training holds it in. The activation fusions are those training uses (ReLU on hidden layers).
/// </summary>
internal static class GemmBenchmark
{
    private const int Batch = 128;
    private const int Blocks = 5;
    private static readonly (int In, int Out)[] Layers = [(784, 256), (256, 128), (128, 10)];
    private static readonly int[] ThreadCounts = [1, 2];

    /// <summary>Runs the micro-benchmark and prints its table.</summary>
    /// <param name="options">The command line.</param>
    public static void Run(BenchmarkOptions options)
    {
        Console.WriteLine($"== gemm: the FMNIST-MLP kernel shapes at batch {Batch}, {KernelPath.Detected} kernels, " +
            $"GFLOP/s = 2·M·N·K / time, median (best) of {Blocks} blocks over ~{options.GemmSeconds:G3} s per cell ==");
        if (Environment.ProcessorCount < 2)
        {
            Console.WriteLine("Note: this machine has one core; the 2-thread column cannot show a speed-up.");
        }

        var table = new Table(["Kernel", "shape (M×K · K×N)", .. ThreadCounts.Select(t => $"{t} thread{(t > 1 ? "s" : "")}, GFLOP/s")]);
        HiddenActivation relu = HiddenActivation.For(ActivationKind.Relu);
        var random = new Random(42);
        for (int l = 0; l < Layers.Length; l++)
        {
            (int inputs, int outputs) = Layers[l];
            bool hiddenOutput = l < Layers.Length - 1;
            float[] a = Fill(random, Batch * inputs, nonNegative: true);   // activations of the layer below (≥ 0 after ReLU)
            float[] w = Fill(random, outputs * inputs, nonNegative: false);
            float[] bias = Fill(random, outputs, nonNegative: false);
            float[] delta = Fill(random, Batch * outputs, nonNegative: false);
            float[] z = new float[Batch * outputs];
            float[] g = new float[Batch * inputs];
            float[] gw = new float[outputs * inputs];
            float[] gb = new float[outputs];
            double flop = 2.0 * Batch * inputs * outputs;
            string layer = $"L{l + 1} {inputs}→{outputs}";

            table.Add([$"{layer} forward Z = {(hiddenOutput ? "relu(" : "(")}A·Wᵀ + b)", $"{Batch}×{inputs} · {inputs}×{outputs}",
                .. ThreadCounts.Select(t => Measure(flop, options.GemmSeconds,
                    () => DenseForwardKernel.Compute(a, Batch, inputs, w, bias, outputs, z, hiddenOutput ? relu : null, t)))]);
            if (l == 0)
            {
                // Training holds a first layer this wide transposed and runs its products on Wᵀ (MlpTrainer.HoldsFirstLayerTransposed).
                float[] wt = new float[w.Length];
                for (int o = 0; o < outputs; o++)
                {
                    for (int i = 0; i < inputs; i++)
                    {
                        wt[(i * outputs) + o] = w[(o * inputs) + i];
                    }
                }

                table.Add([$"{layer} forward over Wᵀ (training's layout)", $"{Batch}×{inputs} · {inputs}×{outputs}",
                    .. ThreadCounts.Select(t => Measure(flop, options.GemmSeconds,
                        () => DenseForwardKernel.ComputeTransposed(a, Batch, inputs, wt, bias, outputs, z, relu, t)))]);
                table.Add([$"{layer} weight grad ∂Wᵀ = Aᵀ·Δ (training's layout)", $"{inputs}×{Batch} · {Batch}×{outputs}",
                    .. ThreadCounts.Select(t => Measure(flop, options.GemmSeconds,
                        () => WeightGradientKernel.ComputeTransposed(delta, Batch, outputs, a, inputs, gw, gb, t)))]);
            }

            table.Add([$"{layer} input grad G = Δ·W{(l > 0 ? " ⊙ relu′(A)" : " (not run in training)")}", $"{Batch}×{outputs} · {outputs}×{inputs}",
                .. ThreadCounts.Select(t => Measure(flop, options.GemmSeconds,
                    () => InputGradientKernel.Compute(delta, Batch, outputs, w, inputs, g, l > 0 ? relu : null, a, t)))]);
            table.Add([$"{layer} weight grad ∂W = Δᵀ·A, ∂b", $"{outputs}×{Batch} · {Batch}×{inputs}",
                .. ThreadCounts.Select(t => Measure(flop, options.GemmSeconds,
                    () => WeightGradientKernel.Compute(delta, Batch, outputs, a, inputs, gw, gb, t)))]);
        }

        table.Print();
        Console.WriteLine();
        PrintForwardShapes(options, relu);
    }

    /// <summary>
    /// The forward product of each hidden layer with every dot-product shape the tuner may pick, forced (the table above
    /// shows the pick): what a new tile is worth on this CPU. Every shape gives the same bits.
    /// </summary>
    private static void PrintForwardShapes(BenchmarkOptions options, HiddenActivation relu)
    {
        KernelIsa isa = KernelPath.Detected;
        Console.WriteLine($"Forward product by dot shape ({isa}; every shape gives the same bits):");
        var table = new Table(["Layer", "shape", .. ThreadCounts.Select(t => $"{t} thread{(t > 1 ? "s" : "")}, GFLOP/s")]);
        var random = new Random(7);
        foreach ((int inputs, int outputs) in Layers.Take(2))
        {
            float[] a = Fill(random, Batch * inputs, nonNegative: true);
            float[] w = Fill(random, outputs * inputs, nonNegative: false);
            float[] bias = Fill(random, outputs, nonNegative: false);
            float[] z = new float[Batch * outputs];
            double flop = 2.0 * Batch * inputs * outputs;
            foreach (DotShape shape in DotShape.Candidates(isa))
            {
                table.Add([$"{inputs}→{outputs}", shape.ToString(), .. ThreadCounts.Select(t =>
                {
                    using (KernelTuner.Force(shape))
                    {
                        return Measure(flop, options.GemmSeconds / 2, () => DenseForwardKernel.Compute(a, Batch, inputs, w, bias, outputs, z, relu, t));
                    }
                })]);
            }
        }

        table.Print();
    }

    /// <summary>
    /// Warms the kernel up, sizes a block of calls to take about a fifth of <paramref name="seconds"/>, times
    /// <see cref="Blocks"/> blocks and returns "median (best)" GFLOP/s.
    /// </summary>
    private static string Measure(double flop, double seconds, Action kernel)
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (calls < 3 || clock.Elapsed.TotalSeconds < Math.Min(0.05, seconds / 10))
        {
            kernel();
            calls++;
        }

        double perCall = clock.Elapsed.TotalSeconds / calls;
        int callsPerBlock = Math.Max(1, (int)(seconds / Blocks / perCall));
        var gflops = new double[Blocks];
        for (int b = 0; b < Blocks; b++)
        {
            clock.Restart();
            for (int c = 0; c < callsPerBlock; c++)
            {
                kernel();
            }

            gflops[b] = flop * callsPerBlock / clock.Elapsed.TotalSeconds / 1e9;
        }

        return $"{Stats.Median(gflops):F1} ({gflops.Max():F1})";
    }

    private static float[] Fill(Random random, int length, bool nonNegative)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = nonNegative ? random.NextSingle() : random.NextSingle() - 0.5f;
        }

        return values;
    }
}
