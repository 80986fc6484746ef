using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>The generator's bulk draws give what its one-at-a-time draws give.</summary>
public class SeededRandomTests
{
    /// <summary>
    /// <see cref="SeededRandom.FillBernoulli"/> writes the value exactly where a loop of NextDouble() &lt; p does, and leaves
    /// the generator where that loop leaves it, for dropout's keep rates and the edges (never, always, NaN). (A draw exactly
    /// at the threshold comes once in 2⁵³ and is not tested; the comment in the method gives why it is not below.)
    /// </summary>
    [Theory]
    [InlineData(0.8f)]
    [InlineData(0.5f)]
    [InlineData(0.75f)]
    [InlineData(0.1f)]
    [InlineData(0.9999999f)]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void FillBernoulliGivesTheDrawsOfNextDouble(float probability)
    {
        var bulk = new SeededRandom(77);
        var single = new SeededRandom(77);
        var values = new float[10_007];
        bulk.FillBernoulli(values, probability, 1.25f);
        float[] expected = [.. values.Select(_ => single.NextDouble() < probability ? 1.25f : 0f)];
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), values.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(single.GetState(), bulk.GetState());
    }
}
