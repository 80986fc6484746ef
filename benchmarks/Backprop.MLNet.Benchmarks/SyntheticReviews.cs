using System.Text;

namespace Backprop.MLNet.Benchmarks;

/// <summary>One synthetic product review: lower-case English-like text and whether it is positive.</summary>
internal sealed class Review
{
    /// <summary>The review text.</summary>
    public string Text { get; set; } = "";

    /// <summary>True for a positive review.</summary>
    public bool Label { get; set; }
}

/// <summary>
/// A deterministic generator of short product reviews with a sentiment label, for a wide, sparse text classification
/// workload: the same row count and seed give the same text on every machine.
/// </summary>
/// <remarks>
/// A review has a hidden sentiment; it mentions a product (a pseudo-word brand and model), says one to three things
/// about it with sentiment words (each agreeing with the hidden sentiment only most of the time, some turned around by
/// a negation: "not good"), and adds clauses of Zipf-distributed pseudo-words (<see cref="PseudoWords"/>), which make the
/// vocabulary, and so the number of word 1–2-gram features, grow with the row count. The label is the hidden sentiment
/// with some of it flipped (label noise), so no model can be near perfect: a linear model gets about three in four right.
/// </remarks>
internal static class SyntheticReviews
{
    /// <summary>The seed of the text workload's data set.</summary>
    public const ulong DefaultSeed = 2024;

    // The constants were tuned so that, at 20,000 rows, FeaturizeText's defaults make about 100,000 features
    // (about 190,000 at 40,000 rows), around 0.1 % of them non-zero, and SdcaLogisticRegression is right about 75 %
    // of the time.

    /// <summary>Reviews whose hidden sentiment is positive.</summary>
    private const double PositiveRate = 0.55;

    /// <summary>Sentiment clauses that agree with the hidden sentiment.</summary>
    private const double AgreeRate = 0.87;

    /// <summary>Sentiment phrases said with a negation ("not good" for a negative one).</summary>
    private const double NegationRate = 0.25;

    /// <summary>Sentiment clauses that are a whole set phrase ("waste of money") rather than a sentiment word.</summary>
    private const double ClauseRate = 0.2;

    /// <summary>Labels flipped at random.</summary>
    private const double LabelNoise = 0.09;

    /// <summary>Reviews that open by naming the product.</summary>
    private const double OpeningRate = 0.85;

    /// <summary>Words of a filler clause that are function words rather than pseudo-words.</summary>
    private const double GlueRate = 0.35;

    /// <summary>The pseudo-word vocabulary has this many words per row: it grows with the data set.</summary>
    private const int WordsPerRow = 10;

    /// <summary>Brand names (pseudo-words outside the vocabulary).</summary>
    private const int Brands = 300;

    /// <summary>Model numbers 10, 20, ... per model letter.</summary>
    private const int ModelNumbers = 9;

    /// <summary>Mixed into the seed for the train/test shuffle, so that it does not repeat the text's draws.</summary>
    private const ulong SplitSalt = 0x5EED_0F_5B117UL;

    /// <summary>A generated data set, split 80/20.</summary>
    /// <param name="Train">The training reviews (80 %).</param>
    /// <param name="Test">The test reviews (20 %).</param>
    public sealed record Split(Review[] Train, Review[] Test);

    /// <summary>Generates <paramref name="rows"/> reviews and splits them: a fixed shuffle puts a fifth in the test set.</summary>
    /// <param name="rows">The number of reviews, at least 5. The vocabulary grows with it (until 700,000 rows).</param>
    /// <param name="seed">The seed; the same seed and row count give the same data set.</param>
    /// <returns>The split data set.</returns>
    public static Split Generate(int rows, ulong seed = DefaultSeed)
    {
        var random = new SplitMix64(seed);
        var words = new PseudoWords((int)Math.Min((long)rows * WordsPerRow, PseudoWords.FirstFreeIndex));
        var text = new StringBuilder(512);
        var clauses = new List<string>(8);
        var reviews = new Review[rows];
        for (int i = 0; i < rows; i++)
        {
            reviews[i] = One(random, words, text, clauses);
        }

        int[] order = Enumerable.Range(0, rows).ToArray();
        new SplitMix64(seed ^ SplitSalt).Shuffle(order);
        int testRows = rows / 5;
        Review[] test = order[..testRows].Order().Select(i => reviews[i]).ToArray();
        Review[] train = order[testRows..].Order().Select(i => reviews[i]).ToArray();
        return new Split(train, test);
    }

    private static Review One(SplitMix64 random, PseudoWords words, StringBuilder text, List<string> clauses)
    {
        bool positive = random.Chance(PositiveRate);
        clauses.Clear();
        int sentiments = random.Between(1, 3), fillers = random.Between(1, 2);
        for (int s = 0; s < sentiments; s++)
        {
            clauses.Add(SentimentClause(random, random.Chance(AgreeRate) ? positive : !positive));
        }

        for (int f = 0; f < fillers; f++)
        {
            clauses.Add(FillerClause(random, words));
        }

        for (int i = clauses.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (clauses[i], clauses[j]) = (clauses[j], clauses[i]);
        }

        text.Clear();
        if (random.Chance(OpeningRate))
        {
            text.Append(Opening(random)).Append(' ');
        }

        text.AppendJoin(' ', clauses);
        return new Review { Text = text.ToString(), Label = positive ^ random.Chance(LabelNoise) };
    }

    /// <summary>"i bought the brolai k350 kettle", "got this lamp for my wife", ...</summary>
    private static string Opening(SplitMix64 random)
    {
        string brand = PseudoWords.Spell(PseudoWords.FirstFreeIndex + random.Next(Brands));
        string product = random.Pick(ReviewLexicon.ProductTypes);
        string model = $"{(char)('a' + random.Next(26))}{random.Between(1, ModelNumbers) * 10}";
        return random.Next(4) switch
        {
            0 => $"i bought the {brand} {model} {product}",
            1 => $"got this {product} for my {random.Pick(ReviewLexicon.People)}",
            2 => $"the {brand} {product}",
            _ => $"ordered the {model} from {brand}",
        };
    }

    /// <summary>A clause expressing <paramref name="positive"/>: "the battery is not good", "sturdy handle", "i returned it".</summary>
    private static string SentimentClause(SplitMix64 random, bool positive)
    {
        if (random.Chance(ClauseRate))
        {
            return random.Pick(positive ? ReviewLexicon.PositiveClauses : ReviewLexicon.NegativeClauses);
        }

        bool negated = random.Chance(NegationRate);
        string word = random.Pick(negated != positive ? ReviewLexicon.Positive : ReviewLexicon.Negative);
        string aspect = random.Pick(ReviewLexicon.Aspects);
        string verb = random.Pick(ReviewLexicon.LinkingVerbs);
        if (negated)
        {
            return $"{(random.Chance(0.5) ? "the " + aspect : "it")} {verb} {random.Pick(ReviewLexicon.Negations)} {word}";
        }

        return random.Next(3) switch
        {
            0 => $"{word} {aspect}",
            1 => $"the {aspect} {verb} {random.Pick(ReviewLexicon.Intensifiers)} {word}",
            _ => $"it {verb} {word}",
        };
    }

    /// <summary>Two or three words, mostly Zipf pseudo-words, some function words: "with kemivou braiste".</summary>
    private static string FillerClause(SplitMix64 random, PseudoWords words)
    {
        int count = random.Between(2, 3);
        var clause = new StringBuilder(32);
        for (int w = 0; w < count; w++)
        {
            if (w > 0)
            {
                clause.Append(' ');
            }

            clause.Append(random.Chance(GlueRate) ? random.Pick(ReviewLexicon.Glue) : words.Draw(random));
        }

        return clause.ToString();
    }
}
