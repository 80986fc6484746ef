using Microsoft.ML.Data;

namespace Database;

/// <summary>
/// One application as DatabaseLoader reads it from the table (each property from the column its LoadColumnName names) and
/// as PredictionEngine takes it. DatabaseLoader asks the provider for each value with the getter of the property's type:
/// GetFloat for Single, GetBoolean for Boolean.
/// </summary>
/// <remarks>
/// What that means for SQLite (Microsoft.Data.Sqlite), found by reading values back:
/// SQLite's REAL is an 8-byte double and INTEGER a 64-bit integer; GetFloat reads both, rounding to the nearest float,
/// so Single properties need no CAST in the query (nor do they in PostgreSQL: Npgsql reads integer and double precision
/// columns as float too). SQLite has no Boolean: the label is stored as the integer 0 or 1 and GetBoolean reads
/// non-zero as true; PostgreSQL needs a real BOOLEAN column (Npgsql refuses GetBoolean on an integer column).
/// A NULL feature reads as NaN, and the trainer skips that row (counted in the log); a NULL label reads as false, silently,
/// which is why the column is NOT NULL. A text value that is not a number reads as 0 in SQLite, not as an error.
/// </remarks>
internal sealed class LoanApplication
{
    [LoadColumnName("age")]
    public float Age { get; set; }

    [LoadColumnName("income")]
    public float Income { get; set; }

    [LoadColumnName("debt")]
    public float Debt { get; set; }

    [LoadColumnName("months_employed")]
    public float MonthsEmployed { get; set; }

    [LoadColumnName("open_accounts")]
    public float OpenAccounts { get; set; }

    [LoadColumnName("defaulted")]
    public bool Defaulted { get; set; }
}

/// <summary>What the binary classifier adds to a row.</summary>
internal sealed class DefaultPrediction
{
    public bool PredictedLabel { get; set; }

    public float Probability { get; set; }

    public float Score { get; set; }
}
