
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
        TrainingData data = Classes([50, 50]);
        float[] Held(int seed) => ValidationSplit.Split(data, 0.2, true, new SeededRandom(seed)).Validation.Features;
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
}
