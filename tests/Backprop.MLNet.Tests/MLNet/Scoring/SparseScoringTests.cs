using Backprop.MLNet.MLNet.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Scoring;

/// <summary>
/// Sparse feature vectors are scored without being made dense, and give exactly what the same rows give dense: through
/// Transform (blocks in CSR form), ML.NET's row-by-row scorer and PredictionEngine (one-row CSR batches), for every task
/// and hidden activation, any block size, mixed sparse and dense rows, several scoring threads, NaN values, and the
/// training layout of a model too large to pack.
/// </summary>
public sealed partial class SparseScoringTests
{
    private const int Block = BlockScoringDataView.DefaultBlockRows;

    [Theory]
    [MemberData(nameof(TasksAndActivations))]
    public void SparseRowsScoreAsTheSameRowsDenseOnEveryPath(string task, Activation activation)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model(task, activation);
        VBuffer<float>[] sparse = Rows((2 * Block) + 17, seed: 7, awkward: true), dense = Densified(sparse);
        IDataView sparseView = View(ml, sparse), denseView = View(ml, dense);
        Assert.StartsWith("sparse", Representation(sparseView, 1));
        Assert.StartsWith("dense", Representation(denseView, 1));

        IDataView blocked = model.Transform(sparseView);
        Assert.IsType<BlockScoringDataView>(blocked);
        List<string> expected = Scored(model.Transform(denseView), task);
        Assert.Equal(sparse.Length, expected.Count);
        Assert.Equal(expected, Scored(blocked, task));
        Assert.Equal(expected, Scored(RowByRow(model, sparseView), task));
        Assert.Equal(expected, Scored(RowByRow(model, denseView), task));
        Assert.Equal(expected, Predicted(ml, model, sparse, task));
        Assert.Equal(expected, Predicted(ml, model, dense, task));

        // One row alone (a block of one row) is the same row inside a block of 144.
        foreach (int row in new[] { 0, 5, 7, 3 + Block, sparse.Length - 1 })
        {
            Assert.Equal(expected[row], Assert.Single(Scored(model.Transform(View(ml, [sparse[row]])), task)));
        }
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("multiclass")]
    [InlineData("regression")]
    public void NaNInASparseRowGivesWhatTheDenseRowGives(string task)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model(task);
        VBuffer<float>[] sparse = Rows(40, seed: 8, awkward: true);
        Assert.True(float.IsNaN(sparse[5].GetValues()[^1]), "row 5 holds a NaN");
        List<string> scored = Scored(model.Transform(View(ml, sparse)), task);
        Assert.Equal(Scored(model.Transform(View(ml, Densified(sparse))), task), scored);
        Assert.Equal(Predicted(ml, model, Densified(sparse), task), Predicted(ml, model, sparse, task));
        // Binary: a NaN score and probability, predicted false as ML.NET's binary scorer does; multiclass: every
        // probability NaN and the missing key 0; regression: a NaN value.
        string[] parts = scored[5].Split(' ', ',');
        string[] numbers = task == "regression" ? parts : parts[..^1];
        Assert.All(numbers, bits => Assert.True(float.IsNaN(BitConverter.Int32BitsToSingle(Convert.ToInt32(bits, 16))), scored[5]));
        Assert.Equal(task switch { "binary" => "False", "multiclass" => "0", _ => parts[^1] }, parts[^1]);
    }

    /// <summary>
    /// Blocks of sparse rows with dense rows among them (and the reverse), rows dense enough to turn a sparse block dense,
    /// and blocks of 1, 5, 7 and 144 rows: every value is still the dense rows' row-by-row value.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(Block)]
    public void MixedSparseAndDenseRowsInAnyBlockSizeAreExact(int blockRows)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model("multiclass", Activation.Gelu);
        VBuffer<float>[] sparse = Rows(600, seed: 9, awkward: true), dense = Densified(sparse);
        // Runs of each form of different lengths, so blocks start with either and switch inside.
        VBuffer<float>[] mixed = sparse.Select((v, i) => i % 11 < 4 || i % 3 == 0 ? dense[i] : v).ToArray();
        IDataView mixedView = View(ml, mixed), denseView = View(ml, dense);
        Assert.StartsWith("dense", Representation(mixedView, 0));
        Assert.StartsWith("sparse", Representation(mixedView, 4));

        List<string> expected = Scored(RowByRow(model, denseView), "multiclass");
        IDataView blocked = BlockScoringDataView.WrapOrKeep(model.Model, "Features", mixedView, RowByRow(model, mixedView), blockRows);
        Assert.IsType<BlockScoringDataView>(blocked);
        Assert.Equal(expected, Scored(blocked, "multiclass"));
        Assert.Equal(expected, Scored(RowByRow(model, mixedView), "multiclass"));
    }

    /// <summary>
    /// The block pipeline scoring sparse blocks of 7 rows ahead on 1, 2 and 3 threads (helpers from the thread pool): every
    /// block's logits and outputs are the dense rows' bits, whoever scored it; and one block scored with 1, 2, 3 and 8
    /// kernel threads gives the same bits.
    /// </summary>
    [Fact]
    public void SparseBlocksGiveTheSameBitsOnAnyNumberOfThreads()
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model("regression", Activation.Tanh);
        VBuffer<float>[] sparse = Rows(500, seed: 10, awkward: true);
        IDataView sparseView = View(ml, sparse);
        List<string> expected = Scored(RowByRow(model, View(ml, Densified(sparse))), "regression");
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var scores = new List<string>();
            DataViewSchema.Column features = sparseView.Schema["Features"];
            using (DataViewRowCursor ahead = sparseView.GetRowCursor([features]))
            {
                var pipeline = new BlockPipeline(model.Model, ahead, features, blockRows: 7, threads);
                for (long index = 0; pipeline.Next(index) is { } block; index++)
                {
                    for (int row = 0; row < block.Rows; row++)
                    {
                        scores.Add(Bits(block.Outputs(row)[0]));
                    }
                }

                pipeline.Stop();
            }

            Assert.Equal(expected, scores);
        }

        var one = new ScoreBlock(model.Model, Block);
        for (int row = 0; row < Block; row++)
        {
            one.SetFeatures(row, sparse[row]);
        }

        Assert.True(one.Features.IsSparse);
        foreach (int threads in new[] { 1, 2, 3, 8 })
        {
            one.Score(Block, threads);
            Assert.Equal(expected.Take(Block), Enumerable.Range(0, Block).Select(r => Bits(one.Outputs(r)[0])));
        }
    }

    /// <summary>A model too large to pack (the training layout) scores sparse rows as their dense copies, blocked and row by row.</summary>
    [Theory]
    [InlineData("binary")]
    [InlineData("multiclass")]
    [InlineData("regression")]
    public void AModelTooLargeToPackScoresSparseRowsAsDense(string task)
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer unpacked = Train(task);
        unpacked.Model.Predictor.UseTrainingLayout();
        Assert.Null(unpacked.Model.Predictor.Packed);
        VBuffer<float>[] sparse = Rows(Block + 30, seed: 11, awkward: true), dense = Densified(sparse);
        List<string> expected = Scored(RowByRow(unpacked, View(ml, dense)), task);
        Assert.Equal(expected, Scored(unpacked.Transform(View(ml, sparse)), task));
        Assert.Equal(expected, Scored(RowByRow(unpacked, View(ml, sparse)), task));
        Assert.Equal(expected, Predicted(ml, unpacked, sparse, task));
    }

    /// <summary>A sparse vector whose indices break ML.NET's contract (out of order) is refused, not misread.</summary>
    [Fact]
    public void ASparseVectorWithIndicesOutOfOrderIsRefused()
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer model = Model("binary");
        VBuffer<float>[] rows = Rows(10, seed: 12, awkward: false);
        rows[3] = new VBuffer<float>(Width, 2, [1f, 2f], [9, 4]);
        var error = Assert.Throws<ArgumentException>(() => Scored(model.Transform(View(ml, rows)), "binary"));
        Assert.Contains("indices of a sparse vector must increase strictly", error.Message);
        error = Assert.Throws<ArgumentException>(() => Predicted(ml, model, rows, "binary"));
        Assert.Contains("indices of a sparse vector must increase strictly", error.Message);
    }

    /// <summary>How row <paramref name="row"/>'s Features vector reaches a cursor: "sparse …" or "dense …".</summary>
    private static string Representation(IDataView view, int row)
    {
        VBuffer<float> value = view.GetColumn<VBuffer<float>>("Features").ElementAt(row);
        return value.IsDense ? "dense" : "sparse";
    }
}
