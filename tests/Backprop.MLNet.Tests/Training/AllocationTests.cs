using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Tests.Engine;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training;

/// <summary>The training loop allocates nothing per minibatch once running.</summary>
public class AllocationTests
{
    /// <summary>
    /// 200 epochs × 13 shuffled, weighted minibatches (100 rows, batch 8) with validation, Adam.
    /// Between the end of epoch 1 (warm-up: JIT, buffers) and the end of epoch 200 the training
    /// thread may allocate only the 199 <see cref="EpochRecord"/> objects (≈ 64 B each ≈ 12.7 KB;
    /// the history list is pre-sized). The 64 KiB bound is below what a single 32-byte
    /// allocation per minibatch would cost (199 × 13 × 32 B ≈ 83 KB), so any per-batch
    /// allocation fails the test.
    /// </summary>
    [Fact]
    public void EpochsAfterWarmUpDoNotAllocatePerBatch()
    {
        const int rows = 100;
        var random = new SeededRandom(30);
        float[] x = TestData.Uniform(random, rows * 4);
        float[] y = TestData.Targets(random, OutputKind.Softmax, rows, 3);
        float[] w = TestData.Uniform(random, rows, 1.0);
        for (int i = 0; i < rows; i++)
        {
            w[i] = Math.Abs(w[i]) + 0.1f;
        }

        var data = new TrainingData(x, y, rows, 4, 1, w);
        var validation = new TrainingData(x, y, 20, 4, 1);
        var settings = TestSettings.Default with
        {
            HiddenLayerSizes = [16, 8],
            Activation = ActivationKind.Relu,
            OutputKind = OutputKind.Softmax,
            OutputSize = 3,
            Solver = SolverKind.Adam,
            BatchSize = 8,
            MaximumNumberOfEpochs = 200,
            NumberOfEpochsWithoutImprovement = 1000,
        };

        long afterFirst = 0;
        long afterLast = 0;
        int alive = 0;
        TrainingResult result = MlpTrainer.Train(
            data,
            settings,
            onEpoch: report =>
            {
                long now = GC.GetAllocatedBytesForCurrentThread();
                if (report.Epoch == 1)
                {
                    afterFirst = now;
                }

                afterLast = now;
            },
            checkAlive: () => alive++,
            validation: validation);

        Assert.Equal(200, result.History.Count);
        Assert.Equal(200 * 13, alive);
        long allocated = afterLast - afterFirst;
        Assert.True(allocated < 64 * 1024, $"Allocated {allocated} bytes in epochs 2–200.");
    }
}
