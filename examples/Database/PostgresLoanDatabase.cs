using System.Data.Common;
using Npgsql;
using NpgsqlTypes;

namespace Database;

/// <summary>The table in a PostgreSQL database, reached with Npgsql.</summary>
internal sealed class PostgresLoanDatabase(string connectionString) : LoanDatabase
{
    public override DbProviderFactory Factory => NpgsqlFactory.Instance;

    public override string ConnectionString => connectionString;

    public override string Description
    {
        get
        {
            var parts = new NpgsqlConnectionStringBuilder(connectionString);
            return $"PostgreSQL database {parts.Database} at {parts.Host}:{parts.Port}";
        }
    }

    protected override string TableExistsQuery => $"SELECT to_regclass('{LoanApplications.Table}') IS NOT NULL";

    /// <summary>
    /// Binary COPY instead of one INSERT per row: with a server every statement is a round trip (a million of them take
    /// minutes), while COPY streams the rows in one command.
    /// </summary>
    protected override void Fill(DbConnection connection, DbTransaction transaction, IEnumerable<LoanRecord> records)
    {
        var npgsql = (NpgsqlConnection)connection;
        using NpgsqlBinaryImporter copy = npgsql.BeginBinaryImport(
            $"COPY {LoanApplications.Table} ({string.Join(", ", LoanApplications.Columns)}) FROM STDIN (FORMAT BINARY)");
        foreach (LoanRecord r in records)
        {
            copy.StartRow();
            copy.Write(r.Id, NpgsqlDbType.Integer);
            copy.Write(r.Age, NpgsqlDbType.Integer);
            copy.Write(r.Income, NpgsqlDbType.Double);
            copy.Write(r.Debt, NpgsqlDbType.Double);
            copy.Write(r.MonthsEmployed, NpgsqlDbType.Integer);
            copy.Write(r.OpenAccounts, NpgsqlDbType.Integer);
            copy.Write(r.Defaulted, NpgsqlDbType.Boolean);
        }

        copy.Complete();
    }
}
