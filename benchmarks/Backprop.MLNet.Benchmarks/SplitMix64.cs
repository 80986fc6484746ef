namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// A tiny pseudo-random generator (SplitMix64) for the synthetic data sets: integer arithmetic only, so the same seed
/// gives the same sequence on every machine and .NET version (System.Random's seeded sequence is not promised to stay).
/// </summary>
/// <param name="seed">The seed; any value.</param>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    /// <returns>A uniformly distributed 64-bit value.</returns>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A double in [0, 1) with 53 random bits (exact, hence the same everywhere).</summary>
    /// <returns>The value.</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer in [0, <paramref name="count"/>), without modulo bias worth mentioning (64 bits into the range).</summary>
    /// <param name="count">At least 1.</param>
    /// <returns>The value.</returns>
    public int Next(int count) => (int)Math.BigMul(NextUInt64(), (ulong)count, out _);

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>], both included.</summary>
    /// <param name="min">The smallest value.</param>
    /// <param name="max">The largest value, at least <paramref name="min"/>.</param>
    /// <returns>The value.</returns>
    public int Between(int min, int max) => min + Next(max - min + 1);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    /// <param name="p">The probability, in [0, 1].</param>
    /// <returns>The draw.</returns>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>One element of <paramref name="items"/>, uniformly.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">At least one element.</param>
    /// <returns>The element.</returns>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The items.</param>
    public void Shuffle<T>(T[] items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
