using System.Data.Common;
using System.Diagnostics;

namespace Database;

/// <summary>
/// The database that holds <see cref="LoanApplications.Table"/>, reached through ADO.NET's provider factory: that factory and
/// a connection string are all DatabaseLoader needs to read it.
/// </summary>
internal abstract class LoanDatabase
{
    /// <summary>The ADO.NET provider (SqliteFactory.Instance, NpgsqlFactory.Instance).</summary>
    public abstract DbProviderFactory Factory { get; }

    /// <summary>The connection string for reading the table.</summary>
    public abstract string ConnectionString { get; }

    /// <summary>Where the table is, for the console (no password).</summary>
    public abstract string Description { get; }

    /// <summary>The connection string for creating and filling the table.</summary>
    protected virtual string WritingConnectionString => ConnectionString;

    /// <summary>A query whose one value is true (or non-zero) when the table exists.</summary>
    protected abstract string TableExistsQuery { get; }

    /// <summary>
    /// Makes sure the table holds exactly <paramref name="rows"/> rows from <paramref name="seed"/>: when it is missing, or
    /// holds another number of rows, it is (re)created and filled in one transaction, so an interrupted run leaves either the
    /// old table or the new one whole.
    /// </summary>
    public TableState Ensure(int rows, int seed)
    {
        using DbConnection connection = Open(WritingConnectionString);
        long? existing = Convert.ToBoolean(Scalar(connection, null, TableExistsQuery))
            ? Convert.ToInt64(Scalar(connection, null, $"SELECT COUNT(*) FROM {LoanApplications.Table}"))
            : null;
        if (existing == rows)
        {
            return new TableState(existing, null);
        }

        var clock = Stopwatch.StartNew();
        using (DbTransaction transaction = connection.BeginTransaction())
        {
            if (existing is not null)
            {
                Scalar(connection, transaction, $"DROP TABLE {LoanApplications.Table}");
            }

            Scalar(connection, transaction, LoanApplications.CreateTable);
            Fill(connection, transaction, LoanApplications.Generate(rows, seed));
            transaction.Commit();
        }

        return new TableState(existing, clock.Elapsed);
    }

    /// <summary>The number of rows of the table that meet <paramref name="condition"/> (SQL).</summary>
    public long Count(string condition)
    {
        using DbConnection connection = Open(ConnectionString);
        return Convert.ToInt64(Scalar(connection, null, $"SELECT COUNT(*) FROM {LoanApplications.Table} WHERE {condition}"));
    }

    /// <summary>
    /// Inserts <paramref name="records"/> with one prepared INSERT whose parameters get each row's values in turn: the fast way
    /// into an embedded database, where a statement costs a function call, not a round trip.
    /// </summary>
    protected virtual void Fill(DbConnection connection, DbTransaction transaction, IEnumerable<LoanRecord> records)
    {
        using DbCommand insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO {LoanApplications.Table} ({string.Join(", ", LoanApplications.Columns)}) " +
            $"VALUES ({string.Join(", ", LoanApplications.Columns.Select(c => "@" + c))})";
        DbParameter[] values = LoanApplications.Columns.Select(column =>
        {
            DbParameter parameter = insert.CreateParameter();
            parameter.ParameterName = "@" + column;
            insert.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        insert.Prepare();
        foreach (LoanRecord r in records)
        {
            values[0].Value = r.Id;
            values[1].Value = r.Age;
            values[2].Value = r.Income;
            values[3].Value = r.Debt;
            values[4].Value = r.MonthsEmployed;
            values[5].Value = r.OpenAccounts;
            values[6].Value = r.Defaulted;
            insert.ExecuteNonQuery();
        }
    }

    private DbConnection Open(string connectionString)
    {
        DbConnection connection = Factory.CreateConnection()
            ?? throw new InvalidOperationException($"{Factory.GetType().Name} makes no connections.");
        connection.ConnectionString = connectionString;
        connection.Open();
        return connection;
    }

    private static object? Scalar(DbConnection connection, DbTransaction? transaction, string sql)
    {
        using DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

/// <summary>What <see cref="LoanDatabase.Ensure"/> found and did.</summary>
/// <param name="RowsBefore">The rows the table held before, or null when there was no table.</param>
/// <param name="Filled">How long creating and filling the table took, or null when it was reused as it was.</param>
internal sealed record TableState(long? RowsBefore, TimeSpan? Filled);
