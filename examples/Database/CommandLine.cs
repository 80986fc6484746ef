using System.Globalization;
using Backprop.MLNet;

namespace Database;

/// <summary>The example's options, each checked as it is read.</summary>
internal sealed class CommandLine
{
    public const string Usage =
        "Usage: dotnet run --project examples/Database [-- [--rows N] [--epochs N] [--caching C] [--database FILE | --postgres CONNECTION]]\n" +
        "  --rows N               applications in the table (default: 1,000,000; at least 100); 90% train, 10% test\n" +
        "  --epochs N             BackpropTrainer epochs (default: 5)\n" +
        "  --caching C            Disk (default: the query runs once, every epoch streams the rows from a temporary file)\n" +
        "                         or Streaming (every epoch runs the query again)\n" +
        "  --database FILE        the SQLite file (default: data/loan-applications-N.db beside the program);\n" +
        "                         created and filled when it lacks the table or holds another number of rows\n" +
        "  --postgres CONNECTION  a PostgreSQL connection string (Npgsql) instead of SQLite; the table is created\n" +
        "                         there when missing (examples/Database/postgres.sh starts a throwaway server)";

    /// <summary>The number of rows in the table.</summary>
    public int Rows { get; private init; } = 1_000_000;

    /// <summary>BackpropTrainer's MaximumNumberOfEpochs.</summary>
    public int Epochs { get; private init; } = 5;

    /// <summary>BackpropTrainer's Caching: Disk or Streaming.</summary>
    public DataCaching Caching { get; private init; } = DataCaching.Disk;

    /// <summary>The SQLite file; null for the default.</summary>
    public string? Database { get; private init; }

    /// <summary>A PostgreSQL connection string, or null for SQLite.</summary>
    public string? Postgres { get; private init; }

    /// <summary>Reads <paramref name="args"/>; on a mistake returns null and says what was wrong.</summary>
    public static CommandLine? Parse(string[] args, out string? error)
    {
        error = null;
        int rows = 1_000_000, epochs = 5;
        DataCaching caching = DataCaching.Disk;
        string? database = null, postgres = null;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--rows" when TryInteger(value, 100, out int n):
                    rows = n;
                    i++;
                    break;
                case "--epochs" when TryInteger(value, 1, out int n):
                    epochs = n;
                    i++;
                    break;
                case "--caching" when value is "Disk" or "Streaming":
                    caching = Enum.Parse<DataCaching>(value);
                    i++;
                    break;
                case "--database" when !string.IsNullOrEmpty(value):
                    database = value;
                    i++;
                    break;
                case "--postgres" when !string.IsNullOrEmpty(value):
                    postgres = value;
                    i++;
                    break;
                case "--rows":
                    error = $"--rows needs a whole number of at least 100, not '{value}'.";
                    return null;
                case "--epochs":
                    error = $"--epochs needs a positive whole number, not '{value}'.";
                    return null;
                case "--caching":
                    error = $"--caching needs Disk or Streaming, not '{value}'.";
                    return null;
                case "--database":
                    error = "--database needs a file name.";
                    return null;
                case "--postgres":
                    error = "--postgres needs a connection string, e.g. \"Host=127.0.0.1;Port=54329;Username=postgres;Database=loans\".";
                    return null;
                default:
                    error = $"Unknown argument '{args[i]}'.";
                    return null;
            }
        }

        if (database is not null && postgres is not null)
        {
            error = "Give --database (SQLite) or --postgres, not both.";
            return null;
        }

        return new CommandLine { Rows = rows, Epochs = epochs, Caching = caching, Database = database, Postgres = postgres };
    }

    private static bool TryInteger(string? text, int minimum, out int value) =>
        int.TryParse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value) && value >= minimum;
}
