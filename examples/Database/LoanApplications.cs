namespace Database;

/// <summary>
/// The example's table: made-up loan applications, the same rows for the same seed on every machine. Five columns on very
/// different raw scales (age in years, income and debt in currency units, months in the current job, open credit accounts)
/// and whether the applicant defaulted, drawn from a known nonlinear rule with noise (<see cref="DefaultProbability"/>).
/// </summary>
/// <remarks>
/// The rule is made for a network to beat a linear model: the risk follows debt relative to income (a ratio, which no
/// weighted sum of debt and income gives), is U-shaped in age, falls off over the first year in a job and jumps for many
/// accounts together with high debt. Even the rule itself cannot be certain (a default is a coin flip with probability
/// <see cref="DefaultProbability"/>), so its own AUC on the rows is the best any model can expect. On the 100,000 test rows
/// of the default million: the rule 0.843, ML.NET's LbfgsLogisticRegression on standardised features 0.793, the example's
/// 5-32-16-1 network after 5 epochs 0.841. About 15 % of the applicants default.
/// </remarks>
internal static class LoanApplications
{
    /// <summary>The table's name, in SQLite and in PostgreSQL.</summary>
    public const string Table = "loan_applications";

    /// <summary>
    /// The table, in SQL that SQLite and PostgreSQL both take. SQLite has no Boolean type: BOOLEAN gives the column numeric
    /// affinity, and Microsoft.Data.Sqlite stores a bool parameter as the integer 0 or 1; PostgreSQL stores a real Boolean.
    /// </summary>
    public const string CreateTable =
        $"CREATE TABLE {Table} (id INTEGER PRIMARY KEY, age INTEGER NOT NULL, income DOUBLE PRECISION NOT NULL, " +
        "debt DOUBLE PRECISION NOT NULL, months_employed INTEGER NOT NULL, open_accounts INTEGER NOT NULL, defaulted BOOLEAN NOT NULL)";

    /// <summary>The columns in the order <see cref="Generate"/> fills them.</summary>
    public static readonly string[] Columns = ["id", "age", "income", "debt", "months_employed", "open_accounts", "defaulted"];

    /// <summary>
    /// <paramref name="rows"/> applications with ids 1 to <paramref name="rows"/>, from <paramref name="seed"/>:
    /// the same rows for the same arguments (System.Random with a seed draws the same numbers in every .NET version).
    /// </summary>
    public static IEnumerable<LoanRecord> Generate(int rows, int seed)
    {
        var random = new Random(seed);
        for (int id = 1; id <= rows; id++)
        {
            int age = random.Next(21, 75);
            // Income grows over the first 30 working years; spread like incomes are (log-normal), 15,000 to 250,000 mostly.
            double income = Math.Round(30_000 * Math.Exp((0.6 * Math.Min(age - 21, 30) / 30) + (0.45 * Gaussian(random))), 2);
            // Debt: a log-normal multiple of income, a third of it typically, from nothing to several years' income.
            double debt = Math.Round(income * 0.3 * Math.Exp(0.9 * Gaussian(random)), 2);
            int monthsEmployed = (int)(Math.Pow(random.NextDouble(), 1.5) * Math.Min(12 * (age - 18), 480));
            int openAccounts = Poisson(random, 2.5 + (0.05 * (age - 21)));
            double p = DefaultProbability(age, income, debt, monthsEmployed, openAccounts);
            yield return new LoanRecord(id, age, income, debt, monthsEmployed, openAccounts, random.NextDouble() < p);
        }
    }

    /// <summary>
    /// The rule the labels are drawn from: the probability that an applicant with these figures defaults,
    /// σ(−2.6 + 2.2·tanh(2.5·(debt/income − 0.45)) + 1.4·e^(−months/12) + 0.0018·(age − 46)² + 0.5·ln(40,000/income)
    /// + 0.9·[8 or more accounts]·(1 if debt/income > 0.35 else 0.2)).
    /// </summary>
    public static double DefaultProbability(double age, double income, double debt, double monthsEmployed, double openAccounts)
    {
        double debtToIncome = debt / income;
        double logit = -2.6
            + (2.2 * Math.Tanh(2.5 * (debtToIncome - 0.45)))
            + (1.4 * Math.Exp(-monthsEmployed / 12))
            + (0.0018 * (age - 46) * (age - 46))
            + (0.5 * Math.Log(40_000 / income))
            + (openAccounts >= 8 ? (debtToIncome > 0.35 ? 0.9 : 0.18) : 0);
        return 1 / (1 + Math.Exp(-logit));
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static int Poisson(Random random, double mean)
    {
        // Knuth's method: fine for the small means here.
        double limit = Math.Exp(-mean), product = random.NextDouble();
        int count = 0;
        while (product > limit)
        {
            count++;
            product *= random.NextDouble();
        }

        return count;
    }
}

/// <summary>One row of the table as <see cref="LoanApplications.Generate"/> makes it.</summary>
internal readonly record struct LoanRecord(
    int Id, int Age, double Income, double Debt, int MonthsEmployed, int OpenAccounts, bool Defaulted);
