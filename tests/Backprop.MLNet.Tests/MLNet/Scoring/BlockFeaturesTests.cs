using Backprop.MLNet.Engine;
using Backprop.MLNet.MLNet.Scoring;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet.Scoring;

/// <summary>
/// The feature rows of one scoring block (<see cref="BlockFeatures"/>): the form of the first row, dense rows taken into a
/// sparse block as their non-zeros and sparse rows into a dense block written out, the switch to dense, buffers that grow
/// with the entries and are reused, and malformed vectors refused.
/// </summary>
public sealed class BlockFeaturesTests
{
    [Fact]
    public void ASparseFirstRowMakesACsrBlockThatTakesDenseRowsAsTheirNonzeros()
    {
        var block = new BlockFeatures(inputs: 10, capacity: 4);
        block.Add(new VBuffer<float>(10, 2, [1f, -0f], [2, 7]));
        block.Add(new VBuffer<float>(10, [0f, 3f, 0f, 0f, float.NaN, 0f, -0f, 0f, 0f, 4f]));
        Assert.True(block.IsSparse);
        Assert.Equal(2, block.Rows);
        Assert.Equal(new[] { 2, 7 }, Copy(block, b => b.RowIndices(0)));
        Assert.Equal(new[] { 1, 4, 9 }, Copy(block, b => b.RowIndices(1))); // NaN kept, zeros and −0 left out
        Assert.Equal(new[] { 3f, float.NaN, 4f }, Copy(block, b => b.RowValues(1)));
    }

    [Fact]
    public void ADenseFirstRowMakesADenseBlockThatTakesSparseRowsWrittenOut()
    {
        var block = new BlockFeatures(inputs: 5, capacity: 3);
        block.Add(new VBuffer<float>(5, 2, [9f, 9f], [0, 1])); // a first block, so the reused slots hold old values
        block.Clear();
        block.Add(new VBuffer<float>(5, [1f, 2f, 3f, 4f, 5f]));
        block.Add(new VBuffer<float>(5, 1, [7f], [3]));
        Assert.False(block.IsSparse);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f, 0f, 0f, 0f, 7f, 0f }, Copy(block, b => b.Dense));
    }

    [Fact]
    public void ASparseBlockTurnsDenseOnceItsEntriesPassHalfItsInputs()
    {
        var block = new BlockFeatures(inputs: 10, capacity: 4);
        block.Add(new VBuffer<float>(10, 3, [1f, 2f, 3f], [0, 4, 8])); // 3 entries of 10 inputs
        Assert.True(block.IsSparse);
        block.Add(new VBuffer<float>(10, 7, [1f, 1f, 1f, 1f, 1f, 1f, 1f], [0, 1, 2, 3, 4, 5, 6])); // 10 of 20: still half
        Assert.True(block.IsSparse);
        block.Add(new VBuffer<float>(10, 6, [2f, 2f, 2f, 2f, 2f, 2f], [1, 2, 3, 4, 5, 6])); // 16 of 30: past half
        Assert.False(block.IsSparse);
        block.Add(new VBuffer<float>(10, 1, [5f], [9]));
        Assert.Equal(4, block.Rows);
        float[] expected =
        [
            1, 0, 0, 0, 2, 0, 0, 0, 3, 0,
            1, 1, 1, 1, 1, 1, 1, 0, 0, 0,
            0, 2, 2, 2, 2, 2, 2, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 5,
        ];
        Assert.Equal(expected, Copy(block, b => b.Dense));
    }

    /// <summary>
    /// 144 rows of 5 non-zeros among 100,000 inputs hold a few kilobytes (the dense form would be 57.6 MB), and filling the
    /// block again allocates nothing: the buffers grew once and are reused.
    /// </summary>
    [Fact]
    public void SparseRowsOfAWideModelHoldMemoryInProportionToTheirEntries()
    {
        const int inputs = 100_000, rows = 144;
        var block = new BlockFeatures(inputs, rows);
        var random = new Random(3);
        VBuffer<float>[] vectors = Enumerable.Range(0, rows).Select(_ =>
        {
            int[] indices = Enumerable.Range(0, 5).Select(_ => random.Next(inputs)).Distinct().Order().ToArray();
            return new VBuffer<float>(inputs, indices.Length, indices.Select(i => (float)i).ToArray(), indices);
        }).ToArray();
        Fill(block, vectors);
        Assert.True(block.IsSparse);
        // Row starts (145 ints) and the smallest CSR buffers (1,024 indices and values): 8.8 KB.
        Assert.True(block.BufferBytes <= 16 << 10, $"{block.BufferBytes} bytes for {rows} rows of 5 entries");

        Assert.Equal(0, ThreadAllocations.Quietest(() => Fill(block, vectors)));
        Assert.Equal(vectors[77].GetIndices().ToArray(), Copy(block, b => b.RowIndices(77)));
    }

    [Fact]
    public void AFullBlockAndMalformedVectorsAreRefused()
    {
        var block = new BlockFeatures(inputs: 6, capacity: 1);
        Assert.Throws<ArgumentException>(() => block.Add(new VBuffer<float>(6, 2, [1f, 1f], [3, 3])));
        Assert.Throws<ArgumentException>(() => block.Add(new VBuffer<float>(6, 2, [1f, 1f], [4, 2])));
        Assert.Equal(0, block.Rows);
        block.Add(new VBuffer<float>(6, 1, [1f], [5]));
        Assert.Throws<InvalidOperationException>(() => block.Add(new VBuffer<float>(6, 1, [1f], [0])));
    }

    private static void Fill(BlockFeatures block, VBuffer<float>[] vectors)
    {
        block.Clear();
        foreach (VBuffer<float> vector in vectors)
        {
            block.Add(vector);
        }
    }

    /// <summary>A copy of a span of the block's whole batch.</summary>
    private static T[] Copy<T>(BlockFeatures block, BatchSpan<T> select) => select(block.Batch(block.Rows)).ToArray();

    private delegate ReadOnlySpan<T> BatchSpan<T>(InputBatch batch);
}
