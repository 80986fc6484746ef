using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine.Kernels;

/// <summary>Runs alone (not beside other test classes) so that process-wide allocation counts mean something.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelAllocationCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "Kernel allocation (not parallel)";
}

/// <summary>After warm-up, multi-threaded forward/backward passes allocate nothing on any thread.</summary>
[Collection(KernelAllocationCollection.Name)]
public class KernelAllocationTests
{
    /// <summary>
    /// Windows of 200 minibatches with several kernel threads: in the quietest of 5 windows, zero bytes
    /// on the training thread (<see cref="GC.GetAllocatedBytesForCurrentThread"/>) and, process-wide
    /// (<see cref="GC.GetTotalAllocatedBytes"/>, which also sees the pool's workers), less than 4 KiB,
    /// below one 32-byte object per minibatch (6.4 KB). Taking the quietest window filters out
    /// one-off noise from the test host (result reporting, tiered JIT), which a per-minibatch
    /// allocation would show in every window.
    /// </summary>
    [Theory]
    [InlineData((int)ActivationKind.Relu, 2)]
    [InlineData((int)ActivationKind.Tanh, 3)]
    public void MinibatchesAfterWarmUpDoNotAllocate(int activationCode, int threads)
    {
        var activation = (ActivationKind)activationCode;
        const int rows = 64, inputs = 80;
        Network network = Network.CreateInitialized(inputs, [96, 40], 4, activation, OutputKind.Softmax, seed: 3);
        float[] x = TestData.Uniform(new SeededRandom(4), rows * inputs);
        float[] y = TestData.Targets(new SeededRandom(5), OutputKind.Softmax, rows, 4);
        var workspace = new BackpropWorkspace(network, rows, threads);
        var gradient = new float[network.ParameterCount];
        for (int i = 0; i < 5; i++)
        {
            workspace.ComputeLossAndGradient(x, y, rows, 1e-4f, gradient);
            workspace.ComputeLossAndGradient(x, y, rows - 7, 1e-4f, gradient);
        }

        long quietestThread = long.MaxValue;
        long quietestTotal = long.MaxValue;
        for (int window = 0; window < 5; window++)
        {
            long thread = GC.GetAllocatedBytesForCurrentThread();
            long total = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 200; i++)
            {
                workspace.ComputeLossAndGradient(x, y, i % 2 == 0 ? rows : rows - 7, 1e-4f, gradient);
            }

            quietestThread = Math.Min(quietestThread, GC.GetAllocatedBytesForCurrentThread() - thread);
            quietestTotal = Math.Min(quietestTotal, GC.GetTotalAllocatedBytes(precise: true) - total);
        }

        Assert.Equal(0, quietestThread);
        Assert.True(quietestTotal < 4 * 1024, $"Allocated {quietestTotal} bytes process-wide in 200 minibatches.");
    }

    /// <summary>
    /// One-row inference on a new thread allocates nothing per call (no pool, no job object, no packing
    /// buffer). The first call is excluded: the runtime allocates a thread's thread-static storage
    /// (≈ 160 B) on its first read of <see cref="KernelPath.Current"/>.
    /// </summary>
    [Fact]
    public void OneRowInferenceOnANewThreadDoesNotAllocatePerCall()
    {
        Network network = Network.CreateInitialized(37, [20, 9], 3, ActivationKind.Relu, OutputKind.Softmax, seed: 8);
        float[] x = TestData.Uniform(new SeededRandom(9), 37);
        var output = new float[3];
        network.Predict(x, 1, output, network.CreateScratch()); // JIT warm-up on this thread
        long allocated = -1;
        var thread = new System.Threading.Thread(() =>
        {
            InferenceScratch scratch = network.CreateScratch();
            network.Predict(x, 1, output, scratch);
            allocated = ThreadAllocations.Quietest(() =>
            {
                for (int i = 0; i < 100; i++)
                {
                    network.Predict(x, 1, output, scratch);
                }
            });
        });
        thread.Start();
        thread.Join();
        Assert.Equal(0, allocated);
    }
}
