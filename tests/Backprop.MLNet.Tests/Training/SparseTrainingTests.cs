using Backprop.MLNet.Engine;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training;

/// <summary>Training on sparse rows: the same model as dense rows, repeatability, lazy updates, memory in proportion to the non-zeros.</summary>
public class SparseTrainingTests
{
    /// <summary>
    /// Rows of <paramref name="features"/> inputs with about <paramref name="density"/> of them non-zero (values in ±2 around
    /// an offset, so that centring matters), input 0 never present; label: the sign of a fixed linear function.
    /// </summary>
    internal static (SparseRows Sparse, float[] Dense, float[] Targets) Rows(int rows, int features, double density, int seed)
    {
        var random = new SeededRandom(seed);
        var starts = new int[rows + 1];
        var indices = new List<int>();
        var values = new List<float>();
        var dense = new float[rows * features];
        var targets = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double score = 0;
            for (int i = 1; i < features; i++)
            {
                if (random.NextDouble() < density)
                {
                    float v = (float)(1 + random.NextUniform(-2, 2));
                    indices.Add(i);
                    values.Add(v);
                    dense[(r * features) + i] = v;
                    score += (i % 3 - 1) * v;
                }
            }

            starts[r + 1] = indices.Count;
            targets[r] = score > 0 ? 1 : 0;
        }

        return (new SparseRows(starts, [.. indices], [.. values], features), dense, targets);
    }

    private static TrainingSettings Settings(bool lazy, int threads = 1) => TestSettings.Default with
    {
        HiddenLayerSizes = [6],
        BatchSize = 32,
        MaximumNumberOfEpochs = 4,
        Tolerance = 0,
        LearningRate = 0.01,
        LazySparseUpdates = lazy,
        NumberOfThreads = threads,
    };

    /// <summary>
    /// Exact updates on sparse rows train the weights dense rows train, with standardisation (so the sparse path's centring,
    /// folded into the bias, is exercised). The two add the same terms in different orders (the sparse layer skips zeros and
    /// starts from the bias; the dense kernels sum in tiles), so each step differs by float rounding: after the 40 steps here
    /// the largest difference seen is 9e-8 against weights up to 0.9. The bound, 1e-5 of the largest weight, leaves a 100×
    /// margin and is far below any real difference (a dropped centring term moves weights by ~1e-2).
    /// </summary>
    [Fact]
    public void SparseAndDenseStorageTrainTheSameWeights()
    {
        (SparseRows sparse, float[] dense, float[] targets) = Rows(300, 40, 0.15, seed: 3);
        var sparseData = new TrainingData(sparse, (float[])targets.Clone(), 1);
        var denseData = new TrainingData(dense, (float[])targets.Clone(), 300, 40, 1);
        InputStandardization standardization = InputStatistics.Measure(denseData);
        Assert.Equal(standardization, InputStatistics.Measure(sparseData), new StandardizationComparer());

        float[] fromSparse = MlpTrainer.Train(sparseData, Settings(lazy: false), standardization: standardization).Network.Parameters;
        float[] fromDense = MlpTrainer.Train(denseData, Settings(lazy: false), standardization: standardization).Network.Parameters;
        double largest = fromDense.Max(Math.Abs);
        double worst = fromDense.Zip(fromSparse, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-5 * largest, $"largest difference {worst:G3} against weights up to {largest:G3}");
        Assert.NotEqual(fromDense, fromSparse); // two real computations, not one path twice
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SparseTrainingIsBitIdenticalForAnyThreadCountAndRun(bool lazy)
    {
        (SparseRows sparse, _, float[] targets) = Rows(300, 40, 0.15, seed: 4);
        float[] Train(int threads)
        {
            var data = new TrainingData(sparse.Select([.. Enumerable.Range(0, 300)]), (float[])targets.Clone(), 1);
            return MlpTrainer.Train(data, Settings(lazy, threads), standardization: InputStatistics.Measure(data)).Network.Parameters;
        }

        float[] one = Train(1);
        Assert.Equal(one, Train(1));
        Assert.Equal(one, Train(2));
        Assert.Equal(one, Train(3));
    }

    /// <summary>
    /// Lazy updates leave the first-layer weights of an input no row holds exactly where they started, while exact updates
    /// move them (the L2 penalty decays them, and Adam's momentum carries them).
    /// </summary>
    [Fact]
    public void LazyUpdatesLeaveTheWeightsOfAnAbsentInputAsTheyStarted()
    {
        (SparseRows sparse, _, float[] targets) = Rows(200, 30, 0.2, seed: 5);
        var initial = new Network(30, [6], 1, TestSettings.Default.Activation, TestSettings.Default.OutputKind);
        initial.InitializeGlorot(new SeededRandom(9));
        float[] Input0(bool lazy)
        {
            var data = new TrainingData(sparse, (float[])targets.Clone(), 1);
            Network trained = MlpTrainer.Train(data, Settings(lazy) with { L2Regularization = 0.1 }, resume: new TrainingCheckpoint { Network = initial }).Network;
            return Enumerable.Range(0, 6).Select(o => trained.WeightsOf(0)[o * 30]).ToArray();
        }

        float[] start = Enumerable.Range(0, 6).Select(o => initial.WeightsOf(0)[o * 30]).ToArray();
        Assert.Equal(start, Input0(lazy: true));
        Assert.All(start.Zip(Input0(lazy: false)), pair => Assert.True(Math.Abs(pair.Second) < Math.Abs(pair.First)));
    }

    /// <summary>
    /// When every minibatch holds every input, lazy updates are exact updates: the same bits (no standardisation, so no
    /// centring term). Input 0, which no row holds, is the one exception (its weights are compared in the test above); it is
    /// zero in every row, so its weights do not reach any other parameter.
    /// </summary>
    [Fact]
    public void LazyUpdatesEqualExactUpdatesWhenNoWeightIsLeftOut()
    {
        (SparseRows sparse, _, float[] targets) = Rows(128, 12, 1.0, seed: 6);
        float[] Train(bool lazy)
        {
            float[] parameters = MlpTrainer.Train(new TrainingData(sparse, (float[])targets.Clone(), 1), Settings(lazy) with { HiddenLayerSizes = [5] }).Network.Parameters;
            return parameters.Where((_, i) => i >= 5 * 12 || i % 12 != 0).ToArray();
        }

        Assert.Equal(Train(lazy: false), Train(lazy: true));
    }

    /// <summary>
    /// Training on 2,000 rows × 200,000 features with 10 non-zeros each allocates in proportion to the non-zeros and the
    /// network (800,000 parameters: weights, gradient, Adam's two moments, the transposed copies, ≈ 20 MB), not to
    /// rows × features (1.6 GB as dense floats). The bound, 64 MB, is 25× below the dense matrix.
    /// </summary>
    [Fact]
    public void SparseTrainingAllocatesInProportionToTheNonZeros()
    {
        const int RowCount = 2000, Features = 200_000;
        var random = new SeededRandom(7);
        var starts = new int[RowCount + 1];
        var indices = new int[RowCount * 10];
        var values = new float[RowCount * 10];
        var targets = new float[RowCount];
        for (int r = 0; r < RowCount; r++)
        {
            var row = new SortedSet<int>();
            while (row.Count < 10)
            {
                row.Add(random.NextInt(Features));
            }

            row.CopyTo(indices, r * 10);
            Array.Fill(values, 1f, r * 10, 10);
            starts[r + 1] = (r + 1) * 10;
            targets[r] = row.Min % 2;
        }

        var data = new TrainingData(new SparseRows(starts, indices, values, Features), targets, 1);
        TrainingSettings settings = Settings(lazy: true) with { HiddenLayerSizes = [4], MaximumNumberOfEpochs = 2 };
        long before = GC.GetAllocatedBytesForCurrentThread();
        MlpTrainer.Train(data, settings, standardization: InputStatistics.Measure(data));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64L << 20, $"sparse training allocated {allocated:N0} bytes");
    }

    private sealed class StandardizationComparer : IEqualityComparer<InputStandardization>
    {
        public bool Equals(InputStandardization? x, InputStandardization? y) =>
            x is not null && y is not null && x.Mean.SequenceEqual(y.Mean) && x.Scale.SequenceEqual(y.Scale);

        public int GetHashCode(InputStandardization obj) => obj.Width;
    }
}
