namespace Backprop.MLNet.Benchmarks;

/// <summary>One applicant of the rawscale data set: a sector, eight positive numbers on very different scales, and whether the loan was repaid.</summary>
internal sealed class RawScaleRow
{
    /// <summary>The sector, one of <see cref="RawScaleData.Sectors"/> (one-hot encoded by the pipelines).</summary>
    public string Sector { get; set; } = "";

    /// <summary>Age in years, 18 to 90.</summary>
    public float Age { get; set; }

    /// <summary>Yearly income, 10,000 to 200,000.</summary>
    public float Income { get; set; }

    /// <summary>Children, 0 to 5.</summary>
    public float Children { get; set; }

    /// <summary>Late payments in the last year, 0 to 5.</summary>
    public float LatePayments { get; set; }

    /// <summary>Credit utilisation, 0 to 1.</summary>
    public float Utilisation { get; set; }

    /// <summary>The loan amount, 1,000 to 1,000,000.</summary>
    public float LoanAmount { get; set; }

    /// <summary>Credit score, 300 to 850.</summary>
    public float CreditScore { get; set; }

    /// <summary>Months as a customer, 0 to 360.</summary>
    public float TenureMonths { get; set; }

    /// <summary>True when the loan was repaid.</summary>
    public bool Label { get; set; }
}

/// <summary>
/// A fixed synthetic tabular data set for binary classification whose numeric columns are all positive and on very
/// different raw scales (a ratio below 1 next to amounts up to a million), to show what feature scaling does to
/// Backprop. The label depends non-linearly on the columns (an inverted U in age, a loan-to-income burden, squared
/// utilisation, saturating income and tenure, a sector effect that changes the weight of utilisation), with a little
/// noise near the boundary and a few flipped labels: about 72 % of the labels are true, and a good model gets about
/// 94 % right. Only basic IEEE arithmetic and rounding (no library maths such as exp or log): the same rows everywhere.
/// </summary>
internal static class RawScaleData
{
    /// <summary>Rows in the data set.</summary>
    public const int Rows = 25_000;

    /// <summary>The numeric columns, in feature order.</summary>
    public static readonly string[] NumericColumns =
        [nameof(RawScaleRow.Age), nameof(RawScaleRow.Income), nameof(RawScaleRow.Children), nameof(RawScaleRow.LatePayments),
         nameof(RawScaleRow.Utilisation), nameof(RawScaleRow.LoanAmount), nameof(RawScaleRow.CreditScore), nameof(RawScaleRow.TenureMonths)];

    /// <summary>The twelve sectors.</summary>
    public static readonly string[] Sectors =
        ["retail", "tech", "health", "farming", "transport", "education", "finance", "construction", "tourism", "media", "energy", "public"];

    /// <summary>Each sector's effect on the score, and whether utilisation weighs double in it.</summary>
    private static readonly (double Offset, bool Leveraged)[] SectorEffects =
    [
        (0.3, false), (0.5, true), (0.6, false), (-0.4, false), (-0.2, true), (0.7, false),
        (0.2, true), (-0.6, true), (-0.8, false), (0.0, true), (0.4, false), (0.9, false),
    ];

    private const ulong Seed = 7_2025;
    private const double BoundaryNoise = 0.2;
    private const double FlippedLabels = 0.02;
    private const double TrueBeforeFlips = 0.73;

    /// <summary>The data set, split 80/20 by a fixed shuffle.</summary>
    /// <returns>The training rows (20,000) and the test rows (5,000).</returns>
    public static (RawScaleRow[] Train, RawScaleRow[] Test) Generate()
    {
        var random = new SplitMix64(Seed);
        var rows = new RawScaleRow[Rows];
        var scores = new double[Rows];
        for (int i = 0; i < Rows; i++)
        {
            rows[i] = Applicant(random);
            // Noise near the boundary: a sum of three uniforms, centred (close to normal, integer-seeded arithmetic).
            double noise = (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2 * BoundaryNoise;
            scores[i] = Score(rows[i]) + noise;
        }

        // The threshold makes TrueBeforeFlips of the labels true; then a few labels are flipped.
        double[] sorted = (double[])scores.Clone();
        Array.Sort(sorted);
        double threshold = sorted[(int)((1 - TrueBeforeFlips) * Rows)];
        for (int i = 0; i < Rows; i++)
        {
            rows[i].Label = (scores[i] >= threshold) ^ random.Chance(FlippedLabels);
        }

        int[] order = Enumerable.Range(0, Rows).ToArray();
        random.Shuffle(order);
        int testRows = Rows / 5;
        return (order[testRows..].Order().Select(i => rows[i]).ToArray(), order[..testRows].Order().Select(i => rows[i]).ToArray());
    }

    private static RawScaleRow Applicant(SplitMix64 random)
    {
        double u = random.NextDouble(), v = random.NextDouble();
        return new RawScaleRow
        {
            Sector = random.Pick(Sectors),
            Age = 18 + (int)(72 * (u + v) / 2), // triangular, most near 54
            Income = (float)(10 * Math.Round(1_000 + (19_000 * Square(random.NextDouble())))), // skewed towards low incomes
            Children = random.Next(6),
            LatePayments = Math.Min(5, (int)(6 * Square(Square(random.NextDouble())))), // mostly 0
            Utilisation = (float)Math.Round(random.NextDouble(), 3),
            LoanAmount = (float)(100 * Math.Round(10 + (9_990 * Square(random.NextDouble()) * random.NextDouble()))),
            CreditScore = random.Between(300, 850),
            TenureMonths = random.Next(361),
        };
    }

    /// <summary>The hidden score: higher is a safer loan.</summary>
    private static double Score(RawScaleRow r)
    {
        (double offset, bool leveraged) = SectorEffects[Array.IndexOf(Sectors, r.Sector)];
        double age = (r.Age - 45) / 20.0;
        double income = r.Income / (r.Income + 40_000.0);
        double burden = r.LoanAmount / (4.0 * r.Income);
        return offset
            - (0.8 * age * age) + (0.3 * age)
            + (3.0 * income)
            - (3.0 * burden / (burden + 1))
            - ((leveraged ? 5.0 : 2.5) * r.Utilisation * r.Utilisation)
            - (0.9 * r.LatePayments)
            + (2.0 * (r.CreditScore - 575) / 275.0)
            + (r.TenureMonths / (r.TenureMonths + 24.0))
            - (0.25 * r.Children * (1 - income));
    }

    private static double Square(double x) => x * x;
}
