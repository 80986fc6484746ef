using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine.Kernels;

/// <summary>
/// The kernels give the same bits whatever the thread count, whatever batch a row is part of, and
/// when several trainings use the shared worker pool at once.
/// </summary>
public class KernelDeterminismTests
{
    private static readonly int[] ThreadCounts = [1, 2, 3, 8];

    /// <summary>Every supported path, passed as int (the enum is internal).</summary>
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

    /// <summary>Each kernel on shapes big enough to be split over threads: 1, 2, 3 and 8 threads agree bit for bit.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void KernelsAreBitIdenticalForAnyThreadCount(int isa)
    {
        const int rows = 67, inputs = 203, outputs = 141;
        float[] a = TestData.Uniform(new SeededRandom(1), rows * inputs);
        float[] w = TestData.Uniform(new SeededRandom(2), outputs * inputs);
        float[] b = TestData.Uniform(new SeededRandom(3), outputs);
        float[] delta = TestData.Uniform(new SeededRandom(4), rows * outputs);
        float[]? z1 = null, g1 = null, gw1 = null, gb1 = null;
        using (KernelPath.Force((KernelIsa)isa))
        {
            foreach (int threads in ThreadCounts)
            {
                var z = new float[rows * outputs];
                var g = new float[rows * inputs];
                var gw = new float[outputs * inputs];
                var gb = new float[outputs];
                DenseForwardKernel.Compute(a, rows, inputs, w, b, outputs, z, TanhActivation.Instance, threads);
                InputGradientKernel.Compute(delta, rows, outputs, w, inputs, g, ReluActivation.Instance, a, threads);
                WeightGradientKernel.Compute(delta, rows, outputs, a, inputs, gw, gb, threads);
                z1 ??= z;
                g1 ??= g;
                gw1 ??= gw;
                gb1 ??= gb;
                Assert.Equal(z1, z);
                Assert.Equal(g1, g);
                Assert.Equal(gw1, gw);
                Assert.Equal(gb1, gb);
            }
        }
    }

    /// <summary>A row's forward result is the same alone, inside any batch and at any tile position, for every activation.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void ForwardRowDoesNotDependOnTheBatch(int isa)
    {
        const int rows = 11, inputs = 45, outputs = 19;
        float[] a = TestData.Uniform(new SeededRandom(5), rows * inputs);
        float[] w = TestData.Uniform(new SeededRandom(6), outputs * inputs);
        float[] b = TestData.Uniform(new SeededRandom(7), outputs);
        using (KernelPath.Force((KernelIsa)isa))
        {
            foreach (ActivationKind kind in new[] { ActivationKind.Identity, ActivationKind.Relu, ActivationKind.Tanh, ActivationKind.Sigmoid })
            {
                HiddenActivation f = HiddenActivation.For(kind);
                var batch = new float[rows * outputs];
                DenseForwardKernel.Compute(a, rows, inputs, w, b, outputs, batch, f, threads: 2);
                for (int start = 0; start < rows; start++)
                {
                    int count = Math.Min(3, rows - start);
                    var part = new float[count * outputs];
                    DenseForwardKernel.Compute(a.AsSpan(start * inputs), count, inputs, w, b, outputs, part, f);
                    Assert.Equal(batch.AsSpan(start * outputs, outputs).ToArray(), part.AsSpan(0, outputs).ToArray());
                }
            }
        }
    }

    /// <summary>
    /// Workspace level: loss, gradient and the parameters after 5 plain gradient steps are bit-identical
    /// for 1, 2, 3 and 8 kernel threads (layers wide enough that every product is split).
    /// </summary>
    [Theory]
    [InlineData((int)ActivationKind.Relu)]
    [InlineData((int)ActivationKind.Tanh)]
    public void TrainingStepsAreBitIdenticalForAnyThreadCount(int activationCode)
    {
        var activation = (ActivationKind)activationCode;
        float[]? expected = null;
        foreach (int threads in ThreadCounts)
        {
            float[] parameters = TrainFiveSteps(activation, threads, out double loss);
            Assert.True(double.IsFinite(loss));
            expected ??= parameters;
            Assert.Equal(expected, parameters);
        }
    }

    /// <summary>Two trainings at once on two threads, each asking for 2 kernel threads, match the single-threaded result.</summary>
    [Fact]
    public void ConcurrentTrainingsDoNotInterfere()
    {
        float[] expected = TrainFiveSteps(ActivationKind.Relu, 1, out _);
        var results = new float[4][];
        System.Threading.Tasks.Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = TrainFiveSteps(ActivationKind.Relu, 2, out _));
        foreach (float[] result in results)
        {
            Assert.Equal(expected, result);
        }
    }

    /// <summary>Five full-batch gradient steps of a 70-130-66-5 softmax network on 96 rows; returns the parameters.</summary>
    private static float[] TrainFiveSteps(ActivationKind activation, int threads, out double loss)
    {
        const int rows = 96, inputs = 70;
        Network network = Network.CreateInitialized(inputs, [130, 66], 5, activation, OutputKind.Softmax, seed: 21);
        float[] x = TestData.Uniform(new SeededRandom(22), rows * inputs, 2.0);
        float[] y = TestData.Targets(new SeededRandom(23), OutputKind.Softmax, rows, 5);
        var workspace = new BackpropWorkspace(network, rows, threads);
        var gradient = new float[network.ParameterCount];
        loss = 0;
        for (int step = 0; step < 5; step++)
        {
            loss = workspace.ComputeLossAndGradient(x, y, rows, 1e-3f, gradient);
            for (int p = 0; p < gradient.Length; p++)
            {
                network.Parameters[p] -= 0.1f * gradient[p];
            }
        }

        return network.Parameters;
    }
}
