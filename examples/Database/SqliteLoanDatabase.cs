using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Database;

/// <summary>The table in an SQLite file: an embedded database, no server.</summary>
internal sealed class SqliteLoanDatabase(string path) : LoanDatabase
{
    public override DbProviderFactory Factory => SqliteFactory.Instance;

    /// <summary>Read-only: training and evaluation never write.</summary>
    public override string ConnectionString =>
        new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly }.ToString();

    public override string Description => $"SQLite file {path}";

    protected override string WritingConnectionString =>
        new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate }.ToString();

    protected override string TableExistsQuery =>
        $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{LoanApplications.Table}'";

    /// <summary>The file's size in bytes, or 0 before it exists.</summary>
    public long FileSize => File.Exists(path) ? new FileInfo(path).Length : 0;
}
