using Backprop.MLNet.Engine;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training.Data;

/// <summary>The streamed minibatches: what the shuffle buffer guarantees, and the hold-out split by row identity.</summary>
public sealed class StreamingMinibatchSourceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryEpochGivesEveryRowOnceWithinTheBuffersReach(bool sparse)
    {
        const int Rows = 1000, Pool = 64, Width = 9;
        var rows = new StreamedRows(new ListRowSource(Rows, Width, sparse), Rows, Rows, sparse, Pool);
        using IMinibatchSource batches = rows.Batches(50, shuffle: true, new SeededRandom(3));
        var orders = new List<int[]>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var order = new List<int>();
            batches.StartEpoch();
            while (batches.Next(out Minibatch batch))
            {
                for (int r = 0; r < batch.Rows; r++)
                {
                    int row = (int)batch.Targets[r];
                    order.Add(row);
                    Assert.Equal(1 + (row % 3), batch.Weights[r]); // the row's weight travels with it
                    Assert.Equal(ListRowSource.Dense(row, Width, sparse), Densify(batch.Inputs, r, Width)); // and its features
                }
            }

            Assert.Equal(Enumerable.Range(0, Rows), order.Order());
            Assert.Equal(Rows, batches.EpochRows);
            Assert.Equal(Enumerable.Range(0, Rows).Sum(r => 1.0 + (r % 3)), batches.EpochWeight);
            // Row i enters the buffer once i − Pool rows have left it, so it cannot come out earlier.
            Assert.All(order.Select((row, position) => (row, position)), p => Assert.True(p.position >= p.row - Pool, $"row {p.row} at {p.position}"));
            orders.Add([.. order]);
        }

        Assert.NotEqual(orders[0], orders[1]);
        Assert.NotEqual(orders[1], orders[2]);
        // Far from a pass-through: most rows move by more than a batch.
        Assert.True(orders[0].Select((row, position) => Math.Abs(row - position)).Average() > 20);
    }

    [Fact]
    public void TheSameGeneratorStateGivesTheSameOrder()
    {
        int[] Order(int seed)
        {
            var rows = new StreamedRows(new ListRowSource(500, 3, sparse: false), 500, 500, false, 100);
            using IMinibatchSource batches = rows.Batches(64, true, new SeededRandom(seed));
            batches.StartEpoch();
            var order = new List<int>();
            while (batches.Next(out Minibatch batch))
            {
                order.AddRange(batch.Targets.ToArray().Select(t => (int)t));
            }

            return [.. order];
        }

        Assert.Equal(Order(7), Order(7));
        Assert.NotEqual(Order(7), Order(8));
    }

    [Fact]
    public void WithoutShufflingTheBatchesAreTheStoredRowsInOrder()
    {
        var source = new ListRowSource(130, 4, sparse: false);
        var rows = new StreamedRows(source, 130, 130, false, 10);
        using IMinibatchSource batches = rows.Batches(50, shuffle: false, random: null);
        batches.StartEpoch();
        var sizes = new List<int>();
        var order = new List<int>();
        while (batches.Next(out Minibatch batch))
        {
            sizes.Add(batch.Rows);
            order.AddRange(batch.Targets.ToArray().Select(t => (int)t));
        }

        Assert.Equal([50, 50, 30], sizes);
        Assert.Equal(Enumerable.Range(0, 130), order);
        Assert.Equal(1, source.Passes);
    }

    [Fact]
    public void HoldOutSplitsByRowIdentityTheSameWayEveryPass()
    {
        const int Rows = 5000;
        var rows = new StreamedRows(new ListRowSource(Rows, 2, sparse: false), Rows, Rows, false, 200);
        (ITrainingRows train, ITrainingRows validation) = rows.HoldOut(0.2, stratifyByTarget: true, new SeededRandom(1));

        HashSet<int> Read(ITrainingRows part, bool shuffle, int seed)
        {
            using IMinibatchSource batches = part.Batches(64, shuffle, new SeededRandom(seed));
            batches.StartEpoch();
            var seen = new HashSet<int>();
            while (batches.Next(out Minibatch batch))
            {
                foreach (float t in batch.Targets)
                {
                    Assert.True(seen.Add((int)t));
                }
            }

            return seen;
        }

        HashSet<int> held = Read(validation, false, 0), kept = Read(train, false, 0);
        Assert.Empty(held.Intersect(kept));
        Assert.Equal(Rows, held.Count + kept.Count);
        Assert.InRange(held.Count, 0.2 * Rows * 0.9, 0.2 * Rows * 1.1); // binomial: sd = 28 rows, the range is ±3.5 sd
        Assert.Equal(kept, Read(train, true, 5));
        Assert.Equal(held, Read(validation, true, 9));
    }

    [Fact]
    public void WhileTheBufferEmptiesTheNextEpochIsReadIntoIt()
    {
        // The current epoch's last Pool rows are drawn with no more of its rows to read; the freed slots take the next
        // epoch's first rows, so the reader keeps reading instead of leaving the next epoch to start from an empty buffer.
        const int Rows = 1000, Pool = 200;
        var source = new ListRowSource(Rows, 3, sparse: false);
        var rows = new StreamedRows(source, Rows, Rows, false, Pool);
        using IMinibatchSource batches = rows.Batches(50, shuffle: true, new SeededRandom(2));
        batches.StartEpoch();
        while (batches.Next(out _))
        {
        }

        Assert.Equal(2, source.Passes);
        Assert.Equal(Pool, source.RowsRead(1));

        // Without shuffling there is nothing to read ahead: the next pass opens when its epoch starts.
        var ordered = new ListRowSource(Rows, 3, sparse: false);
        using IMinibatchSource inOrder = new StreamedRows(ordered, Rows, Rows, false, Pool).Batches(50, shuffle: false, random: null);
        inOrder.StartEpoch();
        while (inOrder.Next(out _))
        {
        }

        Assert.Equal(1, ordered.Passes);
    }

    [Fact]
    public void AFailureWhileReadingAheadSurfacesInTheEpochItBelongsTo()
    {
        const int Rows = 600, Pool = 100;
        ListRowSource Failing() => new(Rows, 3, sparse: false) { FailOnPass = 2, FailAtRow = 40 };
        int Drain(IMinibatchSource batches)
        {
            batches.StartEpoch();
            int n = 0;
            while (batches.Next(out Minibatch batch))
            {
                n += batch.Rows;
            }

            return n;
        }

        // The second pass fails while the first epoch is still being drawn: the first epoch is whole, the second throws.
        using (IMinibatchSource batches = new StreamedRows(Failing(), Rows, Rows, false, Pool).Batches(32, true, new SeededRandom(4)))
        {
            Assert.Equal(Rows, Drain(batches));
            ListRowSource.ReadFailure failure = Assert.Throws<ListRowSource.ReadFailure>(() => Drain(batches));
            Assert.Equal("row 40 could not be read", failure.Message);
        }

        // Training that stops after the first epoch never sees it.
        using (IMinibatchSource batches = new StreamedRows(Failing(), Rows, Rows, false, Pool).Batches(32, true, new SeededRandom(4)))
        {
            Assert.Equal(Rows, Drain(batches));
        }
    }

    [Fact]
    public void TheSourceShufflesItselfOnlyWhenTheBufferCannotHoldEveryRow()
    {
        ulong?[] Seeds(int pool)
        {
            var source = new ListRowSource(300, 2, sparse: false) { CanShuffle = true };
            using (IMinibatchSource batches = new StreamedRows(source, 300, 300, false, pool).Batches(64, true, new SeededRandom(1)))
            {
                for (int epoch = 0; epoch < 3; epoch++)
                {
                    batches.StartEpoch();
                    while (batches.Next(out _))
                    {
                    }
                }
            }

            return source.Seeds;
        }

        // A buffer of every row is a full permutation by itself; a smaller one leaves the source to shuffle too.
        Assert.All(Seeds(300), seed => Assert.Null(seed));
        ulong?[] seeds = Seeds(100);
        Assert.True(seeds.Length >= 3);
        Assert.All(seeds, seed => Assert.NotNull(seed));
        Assert.Equal(seeds.Length, seeds.Distinct().Count());
    }

    private static float[] Densify(InputBatch inputs, int row, int width)
    {
        var x = new float[width];
        if (!inputs.IsSparse)
        {
            inputs.Dense.Slice(row * width, width).CopyTo(x);
            return x;
        }

        for (int k = inputs.RowStarts[row]; k < inputs.RowStarts[row + 1]; k++)
        {
            x[inputs.Indices[k]] = inputs.Values[k];
        }

        return x;
    }
}
