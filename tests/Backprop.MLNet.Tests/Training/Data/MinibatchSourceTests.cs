using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Parallel;
using Backprop.MLNet.Tests.Engine;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training.Data;

/// <summary>The in-memory minibatches: a shuffled dense batch is gathered over the kernel pool, row for row as one thread does.</summary>
public class MinibatchSourceTests
{
    /// <summary>
    /// 600 features × 128 rows is work enough for the gather to be split (<see cref="RowGather.Work"/> ≥
    /// <see cref="KernelRunner.MinimumParallelWork"/>); on 1, 2 and 3 threads every batch holds exactly the rows of the
    /// order the generator drew, the last (short) batch included.
    /// </summary>
    [Fact]
    public void ShuffledDenseBatchesAreTheOrderedRowsOnAnyNumberOfThreads()
    {
        const int rows = 1000, width = 600, batchSize = 128;
        float[] features = TestData.Uniform(new SeededRandom(3), rows * width);
        var targets = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            targets[r] = r;
        }

        Assert.True(new RowGather { Rows = batchSize, Width = width }.Work >= KernelRunner.MinimumParallelWork);
        var data = new TrainingData(features, targets, rows, width, 1);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var source = new MinibatchSource(data, batchSize, shuffle: true, new SeededRandom(9), threads);
            for (int epoch = 0; epoch < 2; epoch++)
            {
                source.StartEpoch();
                int seen = 0;
                while (source.Next(out Minibatch batch))
                {
                    ReadOnlySpan<float> dense = batch.Inputs.Dense;
                    for (int r = 0; r < batch.Rows; r++)
                    {
                        // The target is the row's number in the data, so it names the row the batch must hold.
                        int row = (int)batch.Targets[r];
                        Assert.True(dense.Slice(r * width, width).SequenceEqual(features.AsSpan(row * width, width)),
                            $"threads {threads}, epoch {epoch}: batch row {seen + r} is not data row {row}");
                    }

                    seen += batch.Rows;
                }

                Assert.Equal(rows, seen);
            }
        }
    }
}
