
using Backprop.MLNet.Engine;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training.Data;

public class ValidationSplitTests
{
    private static TrainingData Classes(int[] counts)
    {
        int rows = counts.Sum();
        var targets = counts.SelectMany((n, c) => Enumerable.Repeat((float)c, n)).ToArray();
        var features = Enumerable.Range(0, rows).Select(i => (float)i).ToArray(); // feature = original row index
        return new TrainingData(features, targets, rows, 1, 1);
    }

    [Fact]
    public void StratifiedSplitKeepsEveryClassProportion()
    {
        TrainingData data = Classes([70, 20, 10]);
        var (train, valid) = ValidationSplit.Split(data, 0.1, stratifyByTarget: true, new SeededRandom(1));
        Assert.Equal(10, valid.Rows); // ⌈0.1 · 100⌉
        Assert.Equal(90, train.Rows);
        Assert.Equal([7, 2, 1], Enumerable.Range(0, 3).Select(c => valid.Targets.Take(valid.Rows).Count(t => t == c)));
        // Every row lands in exactly one part, features and targets together.
        var all = train.Features.Take(train.Rows).Concat(valid.Features.Take(valid.Rows)).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (float)i), all);
        Assert.All(Enumerable.Range(0, valid.Rows), r => Assert.Equal(data.Targets[(int)valid.Features[r]], valid.Targets[r]));
    }

    [Fact]
    public void SplitIsSeededAndRandom()
    {
        // A split spends its data (the training rows stay in its array), so each split gets its own.
        float[] Held(int seed) => ValidationSplit.Split(Classes([50, 50]), 0.2, true, new SeededRandom(seed)).Validation.Features;
        Assert.Equal(Held(3), Held(3));
        Assert.NotEqual(Held(3), Held(4));
        Assert.NotEqual(Enumerable.Range(0, 20).Select(i => (float)i), Held(3)); // not simply the first rows
    }

    [Fact]
    public void TooFewRowsForASplitIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => ValidationSplit.Split(Classes([1]), 0.1, true, new SeededRandom(1)));
        Assert.Contains("ValidationFraction", e.Message);
    }

    /// <summary>
    /// Dense training rows stay in the data's own feature array, moved to its front in their order (the same rows, targets
    /// and weights a copy would give), so a split allocates about the validation part only; the data is spent after, and
    /// says so when used again. Sparse rows are copied and leave their data usable.
    /// </summary>
    [Fact]
    public void DenseTrainingRowsStayInTheirArrayAndTheDataIsSpent()
    {
        const int rows = 2_000, width = 64;
        var random = new SeededRandom(7);
        float[] features = [.. Enumerable.Range(0, rows * width).Select(i => (float)random.NextDouble())];
        float[] targets = [.. Enumerable.Range(0, rows).Select(i => (float)(i % 3))];
        float[] weights = [.. Enumerable.Range(0, rows).Select(i => 1f + (i % 5))];
        var data = new TrainingData(features, targets, rows, width, 1, weights);
        var twin = new TrainingData((float[])features.Clone(), targets, rows, width, 1, weights);

        long before = GC.GetAllocatedBytesForCurrentThread();
        (TrainingData train, TrainingData valid) = ValidationSplit.Split(data, 0.1, true, new SeededRandom(3));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Same(features, train.Features);
        Assert.True(allocated < features.Length * sizeof(float) / 4, $"{allocated:N0} bytes allocated for a {features.Length * sizeof(float):N0}-byte feature array");
        int[] kept = [.. Enumerable.Range(0, rows).Where(r => !valid.Features.Chunk(width).Any(v => v.SequenceEqual(twin.Features.AsSpan(r * width, width).ToArray())))];
        TrainingData copied = twin.Select(kept);
        Assert.Equal(copied.Rows, train.Rows);
        Assert.Equal(copied.Features.AsSpan(0, copied.Rows * width).ToArray(), train.Features.AsSpan(0, train.Rows * width).ToArray());
        Assert.Equal(copied.Targets, train.Targets);
        Assert.Equal(copied.Weights, train.Weights);

        var e = Assert.Throws<InvalidOperationException>(() => data.Batches(32, shuffle: false, random: null));
        Assert.Contains("split for early stopping", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ValidationSplit.Split(data, 0.1, true, new SeededRandom(3)));
    }

    /// <summary>Sparse rows likewise: the kept rows move to the front of the data's own indices and values.</summary>
    [Fact]
    public void SparseTrainingRowsStayInTheirArraysAndTheDataIsSpent()
    {
        const int rows = 2_000, width = 5_000;
        SparseRows Rows() => SparseRowsTests.Random(new SeededRandom(7), rows, width, longest: 200); // ~90 entries a row
        float[] targets = [.. Enumerable.Range(0, rows).Select(i => (float)(i % 3))];
        float[] weights = [.. Enumerable.Range(0, rows).Select(i => 1f + (i % 5))];
        SparseRows rowsOfData = Rows();
        var data = new TrainingData(rowsOfData, targets, 1, weights);
        var twin = new TrainingData(Rows(), targets, 1, weights);
        int[] originalStarts = (int[])rowsOfData.RowStarts.Clone();

        long before = GC.GetAllocatedBytesForCurrentThread();
        (TrainingData train, TrainingData valid) = ValidationSplit.Split(data, 0.1, true, new SeededRandom(3));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        long entryBytes = (long)rowsOfData.Entries * (sizeof(int) + sizeof(float));
        Assert.Same(rowsOfData.Indices, train.Sparse!.Indices);
        Assert.Same(rowsOfData.Values, train.Sparse.Values);
        Assert.True(allocated < entryBytes / 4, $"{allocated:N0} bytes allocated for {entryBytes:N0} bytes of entries");
        (TrainingData twinTrain, TrainingData twinValid) = ValidationSplit.Split(twin.Select([.. Enumerable.Range(0, rows)]), 0.1, true, new SeededRandom(3));
        Assert.Equal(twinValid.Sparse!.RowStarts, valid.Sparse!.RowStarts);
        Assert.Equal(twinTrain.Sparse!.RowStarts, train.Sparse.RowStarts);
        int entries = train.Sparse.Entries;
        Assert.Equal(twinTrain.Sparse.Indices.AsSpan(0, entries).ToArray(), train.Sparse.Indices.AsSpan(0, entries).ToArray());
        Assert.Equal(twinTrain.Sparse.Values.AsSpan(0, entries).ToArray(), train.Sparse.Values.AsSpan(0, entries).ToArray());
        Assert.Equal(twinTrain.Targets, train.Targets);
        Assert.Equal(twinTrain.Weights, train.Weights);
        Assert.NotEqual(originalStarts, train.Sparse.RowStarts[..]);

        var e = Assert.Throws<InvalidOperationException>(() => data.Batches(32, shuffle: false, random: null));
        Assert.Contains("split for early stopping", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Keeping rows in place needs them in increasing order; anything else is refused before a row moves.</summary>
    [Fact]
    public void KeepingRowsOutOfOrderIsRefused()
    {
        TrainingData data = Classes([5, 5]);
        Assert.Throws<ArgumentException>(() => data.KeepOnly([3, 1]));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), data.Features);
        SparseRows rows = SparseRowsTests.Random(new SeededRandom(2), 10, 40);
        int[] starts = (int[])rows.RowStarts.Clone(), indices = (int[])rows.Indices.Clone();
        var sparse = new TrainingData(rows, [.. Enumerable.Range(0, 10).Select(i => (float)(i % 2))], 1);
        Assert.Throws<ArgumentException>(() => sparse.KeepOnly([2, 2, 5]));
        Assert.Equal(starts, rows.RowStarts);
        Assert.Equal(indices, rows.Indices);
    }
}
