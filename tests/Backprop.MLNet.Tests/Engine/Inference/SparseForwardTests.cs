using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Tests.Engine.Inference;

/// <summary>
/// Prediction from sparse (CSR) batches (<see cref="NetworkPredictor.Predict(InputBatch, InferenceScratch, int)"/>): the
/// same bits as the same rows given dense with their zeros written out, on every kernel path, hidden activation and
/// output, for any batch size and thread count, a row alone as inside a batch; NaN, ±0 and ∞ values; the training layout's
/// fallback; malformed rows refused; no allocation, and no buffer of the input width.
/// </summary>
public class SparseForwardTests
{
    private static readonly (int Inputs, int[] Hidden, int Outputs)[] Shapes =
    [
        (1, [], 1),
        (5, [17], 3),
        (33, [63, 65], 10),
        (70, [130], 64),
        (203, [141, 37], 11),
    ];

    private static readonly int[] RowCounts = [1, 2, 5, 6, 7, 13, 48, 49, 97];

    /// <summary>Every supported kernel path, passed as int (the enum is internal).</summary>
    public static IEnumerable<object[]> Paths() => PackedNetworkTests.Paths();

    /// <summary>A CSR batch gives every row's outputs and logits the bits of the same rows dense, on every path, activation and output.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void ASparseBatchIsBitIdenticalToTheSameRowsDense(int isa)
    {
        using (KernelPath.Force((KernelIsa)isa))
        {
            int seed = 20;
            foreach ((int inputs, int[] hidden, int outputs) in Shapes)
            {
                foreach (ActivationKind activation in Enum.GetValues<ActivationKind>())
                {
                    var output = (OutputKind)(seed % 3);
                    var network = new Network(inputs, hidden, outputs, activation, output);
                    network.InitializeGlorot(seed);
                    TestData.Uniform(new SeededRandom(seed + 1), outputs).CopyTo(network.BiasesOf(network.LayerCount - 1));
                    var predictor = new NetworkPredictor(network);
                    foreach (int rows in RowCounts)
                    {
                        SparseRows x = SparseRows.Random(new SeededRandom(seed++), rows, inputs, density: 0.3);
                        foreach (int threads in new[] { 1, 3 })
                        {
                            AssertSameBits(Run(predictor, x.Dense(), rows), Run(predictor, x, threads), $"{(KernelIsa)isa} {inputs}-{string.Join("-", hidden)}-{outputs} {activation} {output} rows {rows} threads {threads}");
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// A wide first layer whose sparse batch is split over the worker pool: 1, 2, 3 and 8 threads give the same bits, each
    /// row alone (sparse, and dense through the one-row path) gives its row's bits, and a batch of rows from the middle of
    /// the arrays (row starts not at 0) too.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void EveryRowAloneEqualsItsRowInABatchOnAnyThreadCount(int isa)
    {
        const int rows = 97, inputs = 2000, outputs = 11;
        var network = new Network(inputs, [141, 37], outputs, ActivationKind.Relu, OutputKind.Softmax);
        network.InitializeGlorot(30);
        var predictor = new NetworkPredictor(network);
        SparseRows x = SparseRows.Random(new SeededRandom(31), rows, inputs, density: 0.05);
        Assert.True(PanelForwardProblem.SparseWork(x.Entries, 141) >= KernelRunner.MinimumParallelWork, "the first layer should be split over threads");
        using (KernelPath.Force((KernelIsa)isa))
        {
            (float[] Outputs, float[] Logits) dense = Run(predictor, x.Dense(), rows);
            foreach (int threads in new[] { 1, 2, 3, 8 })
            {
                AssertSameBits(dense, Run(predictor, x, threads), $"threads {threads}");
            }

            for (int r = 0; r < rows; r++)
            {
                (float[] Outputs, float[] Logits) expected = (dense.Outputs[(r * outputs)..((r + 1) * outputs)], dense.Logits[(r * outputs)..((r + 1) * outputs)]);
                AssertSameBits(expected, Run(predictor, x.Slice(r, 1), threads: 2), $"row {r} alone, sparse");
                AssertSameBits(expected, Run(predictor, x.Slice(r, 1).Dense(), 1), $"row {r} alone, dense");
            }

            AssertSameBits(
                (dense.Outputs[(40 * outputs)..(53 * outputs)], dense.Logits[(40 * outputs)..(53 * outputs)]),
                Run(predictor, x.Slice(40, 13), threads: 2),
                "rows 40 to 52 as a batch of their own");
        }
    }

    /// <summary>A network too large to pack (the training layout) scores a sparse batch as its dense copy, bit for bit.</summary>
    [Fact]
    public void TheTrainingLayoutScoresASparseBatchAsItsDenseCopy()
    {
        var network = new Network(150, [40, 20], 4, ActivationKind.Gelu, OutputKind.Softmax);
        network.InitializeGlorot(40);
        var predictor = new NetworkPredictor(network);
        predictor.UseTrainingLayout();
        Assert.Null(predictor.Packed);
        foreach (int rows in new[] { 1, 7, 50 })
        {
            SparseRows x = SparseRows.Random(new SeededRandom(41 + rows), rows, 150, density: 0.2);
            foreach (int threads in new[] { 1, 2 })
            {
                AssertSameBits(Run(predictor, x.Dense(), rows), Run(predictor, x, threads), $"rows {rows} threads {threads}");
            }
        }
    }

    /// <summary>Indices out of range, repeated or decreasing, and a batch of the wrong width, are refused on both layouts before any kernel runs.</summary>
    [Fact]
    public void MalformedSparseRowsAreRefused()
    {
        var network = new Network(10, [6], 2, ActivationKind.Relu, OutputKind.Sigmoid);
        network.InitializeGlorot(50);
        var packed = new NetworkPredictor(network);
        var unpacked = new NetworkPredictor(network);
        unpacked.UseTrainingLayout();
        int[][] bad = [[10], [-1], [3, 3], [4, 2], [0, 9, 12]];
        foreach (NetworkPredictor predictor in new[] { packed, unpacked })
        {
            InferenceScratch scratch = predictor.CreateScratch(2);
            foreach (int[] indices in bad)
            {
                float[] values = indices.Select(_ => 1f).ToArray();
                var error = Assert.Throws<ArgumentException>(() => predictor.Predict(InputBatch.FromCsr([0, 0, indices.Length], indices, values, 10), scratch, 1));
                Assert.Contains("Sparse row 1: the indices of a sparse vector must increase strictly and lie in [0, 10)", error.Message);
                error = Assert.Throws<ArgumentException>(() => predictor.Predict(InputBatch.FromCsr([0, indices.Length], indices, values, 10), scratch, 1));
                Assert.StartsWith("The indices of a sparse vector", error.Message);
            }

            Assert.Throws<ArgumentException>(() => predictor.Predict(InputBatch.FromCsr([0, 1], [2], [1f], 11), scratch, 1));
        }
    }

    /// <summary>
    /// A 100,000-input network scores sparse rows (one alone, and a block of 144) with no allocation after the first pass, and
    /// its scratch holds nothing of the input width: the list of one row's non-zero inputs stays the hidden layer's size.
    /// </summary>
    [Fact]
    public void SparseRowsOfAWideNetworkAllocateNothingAndNeedNoInputWideBuffer()
    {
        const int inputs = 100_000, block = 144;
        var network = new Network(inputs, [32], 2, ActivationKind.Relu, OutputKind.Softmax);
        network.InitializeGlorot(60);
        var predictor = new NetworkPredictor(network);
        SparseRows x = SparseRows.Random(new SeededRandom(61), block, inputs, density: 5.0 / inputs);
        SparseRows[] alone = Enumerable.Range(0, block).Select(r => x.Slice(r, 1)).ToArray();
        InferenceScratch one = predictor.CreateScratch(1), many = predictor.CreateScratch(block);
        predictor.Predict(x.Batch, many, 1);
        predictor.Predict(alone[0].Batch, one, 1);
        Assert.Equal(0, ThreadAllocations.Quietest(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                predictor.Predict(x.Batch, many, 1);
                predictor.Predict(alone[i].Batch, one, 1);
            }
        }));
        Assert.Equal(32, one.NonzeroIndices.Length);
        Assert.Equal(32, many.NonzeroIndices.Length);
    }

    /// <summary>Runs a batch; returns copies of its outputs and logits.</summary>
    private static (float[] Outputs, float[] Logits) Run(NetworkPredictor predictor, SparseRows x, int threads)
    {
        ForwardResult result = predictor.Predict(x.Batch, predictor.CreateScratch(x.Rows), threads);
        return (result.Outputs.ToArray(), result.Logits.ToArray());
    }

    /// <summary>Runs dense rows through the dense overload; returns copies of its outputs and logits.</summary>
    private static (float[] Outputs, float[] Logits) Run(NetworkPredictor predictor, float[] dense, int rows)
    {
        ForwardResult result = predictor.Predict(dense, rows, predictor.CreateScratch(rows), threads: 1);
        return (result.Outputs.ToArray(), result.Logits.ToArray());
    }

    private static void AssertSameBits((float[] Outputs, float[] Logits) expected, (float[] Outputs, float[] Logits) actual, string where)
    {
        Assert.True(Bits(expected.Logits).SequenceEqual(Bits(actual.Logits)), $"{where}: logits differ");
        Assert.True(Bits(expected.Outputs).SequenceEqual(Bits(actual.Outputs)), $"{where}: outputs differ");
    }

    private static IEnumerable<int> Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits);
}
