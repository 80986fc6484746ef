using System;
using Backprop.MLNet.Engine;
using Xunit;

namespace Backprop.MLNet.Tests;

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
    /// 200 minibatches with 2 kernel threads: zero bytes on the training thread
    /// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>), and process-wide
    /// (<see cref="GC.GetTotalAllocatedBytes"/>, which also sees the pool's workers) less than 16 KiB —
    /// below one 32-byte object per minibatch (6.4 KB) plus the test runner's own background noise.
    /// </summary>
    [Theory]
    [InlineData(Activation.Relu, 2)]
    [InlineData(Activation.Tanh, 3)]
    public void MinibatchesAfterWarmUpDoNotAllocate(Activation activation, int threads)
    {
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

        long thread = GC.GetAllocatedBytesForCurrentThread();
        long total = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < 200; i++)
        {
            workspace.ComputeLossAndGradient(x, y, i % 2 == 0 ? rows : rows - 7, 1e-4f, gradient);
        }

        long threadAllocated = GC.GetAllocatedBytesForCurrentThread() - thread;
        long totalAllocated = GC.GetTotalAllocatedBytes(precise: true) - total;
        Assert.Equal(0, threadAllocated);
        Assert.True(totalAllocated < 16 * 1024, $"Allocated {totalAllocated} bytes process-wide in 200 minibatches.");
    }
}
