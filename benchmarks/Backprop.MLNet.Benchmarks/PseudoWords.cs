namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// A vocabulary of pronounceable pseudo-words ("brolaistu", "kemivou") built from syllables, drawn by a
/// Zipf–Mandelbrot law: the word of rank r has weight 1 / (r + q), so the common words are drawn far more often than
/// the rare ones. The offset q is a fixed fraction of the vocabulary size, which makes the law scale-free: a vocabulary
/// twice as large, drawn twice as often, shows twice as many distinct words and word pairs (the feature count of the
/// text workload grows in proportion to its row count, as that of real text does at these sizes).
/// </summary>
/// <remarks>
/// A syllable is an onset (consonants) and a nucleus (vowels), so a word splits into syllables in exactly one way and
/// distinct indices spell distinct words. Only integer arithmetic, additions and divisions are used: the same words
/// and weights on every machine.
/// </remarks>
internal sealed class PseudoWords
{
    /// <summary>Indices from here on are not in any vocabulary: free for other names (brands).</summary>
    public const int FirstFreeIndex = 7_000_000;

    /// <summary>The Zipf–Mandelbrot offset q as a fraction of the vocabulary size.</summary>
    private const double OffsetFraction = 0.001;

    private static readonly string[] Onsets =
        ["b", "bl", "br", "ch", "d", "dr", "f", "fl", "g", "gr", "k", "kr", "l", "m", "n", "p", "pl", "r", "s", "sk", "st", "t", "tr", "v", "z"];

    private static readonly string[] Nuclei = ["a", "e", "i", "o", "u", "ai", "ou", "ee"];

    private static readonly int Syllables = Onsets.Length * Nuclei.Length;

    /// <summary>Three-syllable spellings that exist: Syllables³ = 8,000,000.</summary>
    private static readonly int Spellings = Syllables * Syllables * Syllables;

    private readonly double[] _cumulative;
    private readonly string?[] _spelled;

    /// <summary>Builds the cumulative weights of a vocabulary of <paramref name="size"/> words.</summary>
    /// <param name="size">Words in the vocabulary, 1 to <see cref="FirstFreeIndex"/>.</param>
    public PseudoWords(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, FirstFreeIndex);
        _cumulative = new double[size];
        _spelled = new string?[size];
        double offset = Math.Max(1.0, OffsetFraction * size), sum = 0;
        for (int r = 0; r < size; r++)
        {
            sum += 1.0 / (r + offset);
            _cumulative[r] = sum;
        }
    }

    /// <summary>Words in the vocabulary.</summary>
    public int Size => _cumulative.Length;

    /// <summary>Draws a word by the Zipf–Mandelbrot law.</summary>
    /// <param name="random">The generator.</param>
    /// <returns>The word.</returns>
    public string Draw(SplitMix64 random)
    {
        double u = random.NextDouble() * _cumulative[^1];
        int index = Array.BinarySearch(_cumulative, u);
        int rank = Math.Min(index >= 0 ? index + 1 : ~index, Size - 1);
        return _spelled[rank] ??= Spell(rank);
    }

    /// <summary>
    /// Spells an index as a three-syllable word. The index is first scattered over all spellings (a multiplication
    /// modulo their count, a bijection because the multiplier is a prime that does not divide it) so that neighbouring
    /// ranks do not share their first syllables.
    /// </summary>
    /// <param name="index">In [0, 8,000,000): distinct indices give distinct words.</param>
    /// <returns>The word.</returns>
    public static string Spell(int index)
    {
        long scattered = ((index * 1_000_003L) + 12_345L) % Spellings;
        Span<char> buffer = stackalloc char[3 * 4];
        int length = 0;
        for (int s = 0; s < 3; s++)
        {
            int syllable = (int)(scattered % Syllables);
            scattered /= Syllables;
            foreach (char c in Onsets[syllable / Nuclei.Length])
            {
                buffer[length++] = c;
            }

            foreach (char c in Nuclei[syllable % Nuclei.Length])
            {
                buffer[length++] = c;
            }
        }

        return new string(buffer[..length]);
    }
}
