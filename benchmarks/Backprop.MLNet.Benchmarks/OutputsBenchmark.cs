using System.Diagnostics;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The outputs workload: training's softmax and sigmoid (<see cref="OutputLayer.ActivateInTraining"/>, on the engine's own
/// exponential) against prediction's (<see cref="OutputLayer.Activate"/>, System.Numerics.Tensors), a minibatch of 128
/// rows of 1 to 1,000 outputs, and the same for the tanh and sigmoid hidden activations
/// (<see cref="HiddenActivation.InTraining"/> against <see cref="HiddenActivation.Apply"/>) on 100 to 1,000 units, each timed once both are fully compiled: what the first epoch's gain costs in a steady epoch.
/// </summary>
internal static class OutputsBenchmark
{
    private const int Rows = 128;
    private const int Calls = 200;

    /// <summary>Runs the comparison and prints its table.</summary>
    /// <param name="options">The command line (only the seed is used).</param>
    public static void Run(BenchmarkOptions options)
    {
        Console.WriteLine($"== outputs: output and hidden activations of a minibatch of {Rows} rows, µs per minibatch, best of 7 blocks of {Calls} calls ==");
        var table = new Table("output", "outputs per row", "training (own exponential)", "prediction (TensorPrimitives)", "training / prediction");
        var random = new SeededRandom(options.Seed);
        foreach (OutputKind kind in new[] { OutputKind.Softmax, OutputKind.Sigmoid })
        {
            OutputLayer output = OutputLayer.For(kind);
            foreach (int width in new[] { 1, 10, 100, 1000 })
            {
                if (kind == OutputKind.Softmax && width == 1)
                {
                    continue;
                }

                var logits = new float[Rows * width];
                for (int i = 0; i < logits.Length; i++)
                {
                    logits[i] = (float)random.NextUniform(-5, 5);
                }

                var outputs = new float[logits.Length];
                double training = Time(() => output.ActivateInTraining(logits, outputs, width));
                double prediction = Time(() => output.Activate(logits, outputs, width));
                table.Add(kind.ToString(), width.ToString(), $"{training:F1}", $"{prediction:F1}", $"{training / prediction:F2}");
            }
        }

        foreach (ActivationKind kind in new[] { ActivationKind.Tanh, ActivationKind.Sigmoid })
        {
            HiddenActivation function = HiddenActivation.For(kind);
            foreach (int width in new[] { 100, 256, 1000 })
            {
                float[] z = new float[Rows * width], values = new float[z.Length];
                for (int i = 0; i < z.Length; i++)
                {
                    z[i] = (float)random.NextUniform(-3, 3);
                }

                // Each call overwrites the values with their activations; refilling them is timed alike on both sides.
                double training = Time(() =>
                {
                    z.CopyTo(values, 0);
                    function.InTraining.Apply(values);
                });
                double prediction = Time(() =>
                {
                    z.CopyTo(values, 0);
                    function.Apply(values);
                });
                table.Add($"{kind} (hidden)", width.ToString(), $"{training:F1}", $"{prediction:F1}", $"{training / prediction:F2}");
            }
        }

        table.Print();
        Console.WriteLine();
    }

    /// <summary>
    /// Microseconds per call, best of 7 blocks, once tiered compilation has finished: calls in blocks of 100 ms until five
    /// blocks in a row compiled nothing (a block outlasts the runtime's 100 ms delay before it promotes a routine, so a
    /// pending promotion shows as a compilation), at most 10 s.
    /// </summary>
    private static double Time(Action call)
    {
        var warmUp = Stopwatch.StartNew();
        int quietBlocks = 0;
        while (quietBlocks < 5 && warmUp.Elapsed.TotalSeconds < 10)
        {
            long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            var block = Stopwatch.StartNew();
            while (block.Elapsed.TotalMilliseconds < 100)
            {
                call();
            }

            quietBlocks = System.Runtime.JitInfo.GetCompiledMethodCount() == compiled ? quietBlocks + 1 : 0;
        }

        double best = double.MaxValue;
        for (int block = 0; block < 7; block++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < Calls; i++)
            {
                call();
            }

            best = Math.Min(best, clock.Elapsed.TotalMicroseconds / Calls);
        }

        return best;
    }
}
