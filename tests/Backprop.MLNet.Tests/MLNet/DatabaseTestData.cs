using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.MLNet;

/// <summary>
/// A small table for the database tests, the same in SQLite and PostgreSQL: 5,000 rows from a seed, three features on very
/// different scales (balance within ±1,000, days 0-365, rate within ±0.001) and a label that is true inside a circle of
/// balance and rate, 5 % of labels flipped. Stored as the examples/Database table is: features as DOUBLE PRECISION and
/// INTEGER columns, read as float; the label as BOOLEAN (in SQLite the integer 0 or 1).
/// </summary>
internal static class DatabaseTestData
{
    /// <summary>Rows in the table; ids 1..Rows, every fifth (id % 5 = 0) held out for testing.</summary>
    public const int Rows = 5_000;

    public const string TrainCondition = "id % 5 <> 0";
    public const string TestCondition = "id % 5 = 0";

    /// <summary>The share of labels flipped at random: the rule itself scores 1 − this on average.</summary>
    public const double LabelNoise = 0.05;

    /// <summary>One row as DatabaseLoader reads it (columns by name) and PredictionEngine takes it.</summary>
    public sealed class Row
    {
        [LoadColumnName("balance")]
        public float Balance { get; set; }

        [LoadColumnName("days")]
        public float Days { get; set; }

        [LoadColumnName("rate")]
        public float Rate { get; set; }

        [LoadColumnName("label")]
        public bool Label { get; set; }
    }

    /// <summary>What the binary classifier adds to a row.</summary>
    public sealed class Prediction
    {
        public float Score { get; set; }
    }

    /// <summary>The table's SQL, for both databases.</summary>
    public static string CreateTable(string table) =>
        $"CREATE TABLE {table} (id INTEGER PRIMARY KEY, balance DOUBLE PRECISION NOT NULL, days INTEGER NOT NULL, " +
        "rate DOUBLE PRECISION NOT NULL, label BOOLEAN NOT NULL)";

    /// <summary>The loader's query: the columns of <see cref="Row"/>, in id order (see <see cref="PostgresSourceTests"/>).</summary>
    public static string Query(string table, string condition) =>
        $"SELECT balance, days, rate, label FROM {table} WHERE {condition} ORDER BY id";

    /// <summary>
    /// Creates <paramref name="table"/> on <paramref name="connection"/> and fills it in one transaction with one prepared
    /// INSERT. Balance is uniform in ±1,000, rate in ±0.001; the label is balance² / 10⁶ + rate² · 10⁶ &lt; 0.5 (a circle,
    /// which no linear model separates), flipped for <see cref="LabelNoise"/> of the rows; days is noise.
    /// </summary>
    public static void Fill(DbConnection connection, string table, int seed = 1)
    {
        using DbTransaction transaction = connection.BeginTransaction();
        using DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = CreateTable(table);
        command.ExecuteNonQuery();
        command.CommandText = $"INSERT INTO {table} (id, balance, days, rate, label) VALUES (@id, @balance, @days, @rate, @label)";
        DbParameter[] values = new[] { "@id", "@balance", "@days", "@rate", "@label" }.Select(name =>
        {
            DbParameter parameter = command.CreateParameter();
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        // Npgsql prepares only parameters whose type it knows: set them before Prepare.
        values[0].Value = 0;
        values[1].Value = 0.0;
        values[2].Value = 0;
        values[3].Value = 0.0;
        values[4].Value = false;
        command.Prepare();

        var random = new Random(seed);
        for (int id = 1; id <= Rows; id++)
        {
            double balance = (random.NextDouble() * 2 - 1) * 1000, rate = (random.NextDouble() * 2 - 1) * 0.001;
            int days = random.Next(0, 366);
            bool inside = (balance * balance / 1e6) + (rate * rate * 1e6) < 0.5;
            values[0].Value = id;
            values[1].Value = balance;
            values[2].Value = days;
            values[3].Value = rate;
            values[4].Value = random.NextDouble() < LabelNoise ? !inside : inside;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>A new SQLite file holding the table <c>rows</c>; returns its connection string.</summary>
    public static string CreateSqlite(string path)
    {
        string connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        Fill(connection, "rows");
        return connectionString;
    }

    /// <summary>The training and test rows of <paramref name="table"/> as DatabaseLoader data views.</summary>
    public static (IDataView Train, IDataView Test) Load(MLContext ml, DbProviderFactory factory, string connectionString, string table)
    {
        DatabaseLoader loader = ml.Data.CreateDatabaseLoader<Row>();
        return (loader.Load(new DatabaseSource(factory, connectionString, Query(table, TrainCondition))),
            loader.Load(new DatabaseSource(factory, connectionString, Query(table, TestCondition))));
    }

    /// <summary>
    /// Concatenate + a binary Backprop trainer (16 hidden units, 60 epochs of 64-row minibatches, seed 0, no early stop), raw
    /// features: the trainer standardises them.
    /// </summary>
    public static EstimatorChain<BackpropTransformer> Pipeline(MLContext ml, DataCaching caching, bool shuffle) =>
        ml.Transforms.Concatenate("Features", nameof(Row.Balance), nameof(Row.Days), nameof(Row.Rate))
            .Append(ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
            {
                HiddenLayerSizes = [16],
                LearningRate = 0.01,
                BatchSize = 64,
                MaximumNumberOfEpochs = 60,
                NumberOfEpochsWithoutImprovement = 60,
                Caching = caching,
                ShuffleBufferSize = 1_000,
                Shuffle = shuffle,
                Seed = 0,
            }));

    /// <summary>Every layer's weights and biases of two models are the same, bit for bit.</summary>
    public static void AssertSameParameters(BackpropModelParameters expected, BackpropModelParameters actual)
    {
        Assert.Equal(expected.LayerCount, actual.LayerCount);
        for (int layer = 0; layer < expected.LayerCount; layer++)
        {
            Assert.Equal(expected.GetWeights(layer), actual.GetWeights(layer));
            Assert.Equal(expected.GetBiases(layer), actual.GetBiases(layer));
        }
    }
}
