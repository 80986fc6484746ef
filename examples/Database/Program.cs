// Training from a database: a million loan applications in an SQLite file (or a PostgreSQL server), read by ML.NET's
// DatabaseLoader, a BackpropTrainer that streams its minibatches (Caching = DataCaching.Disk: the query runs once and every
// epoch reads the rows from a temporary file; --caching Streaming runs the query every epoch), ML.NET's evaluator, save,
// load, predict.
// The first run creates the table from a fixed seed (and says how long that took); later runs reuse it.
// Usage: dotnet run --project examples/Database [-- --rows N --epochs N --caching Disk|Streaming --database FILE | --postgres CONNECTION]
//        bash examples/Database/postgres.sh [--rows N --epochs N]   (a throwaway PostgreSQL server around the same run)
using System.Diagnostics;
using System.Reflection;
using Backprop.MLNet;
using Database;
using Microsoft.ML;
using Microsoft.ML.Data;

const int TableSeed = 20261129;
const string TrainCondition = "id % 10 <> 0", TestCondition = "id % 10 = 0";

CommandLine? options = CommandLine.Parse(args, out string? error);
if (options is null)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

LoanDatabase database;
if (options.Postgres is not null)
{
    database = new PostgresLoanDatabase(options.Postgres);
}
else
{
    string file = Path.GetFullPath(options.Database ?? DefaultFile(options.Rows));
    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
    database = new SqliteLoanDatabase(file);
}

Console.WriteLine($"The table {LoanApplications.Table} in the {database.Description}:");
TableState table = database.Ensure(options.Rows, TableSeed);
Console.WriteLine(table switch
{
    { Filled: null } => $"  reused as it was: {options.Rows:N0} rows.",
    { RowsBefore: null } => $"  created with {options.Rows:N0} rows (seed {TableSeed}) in {table.Filled.Value.TotalSeconds:F1} s.",
    _ => $"  held {table.RowsBefore:N0} rows, not {options.Rows:N0}: created again in {table.Filled.Value.TotalSeconds:F1} s.",
});
if (database is SqliteLoanDatabase sqlite)
{
    Console.WriteLine($"  file size {sqlite.FileSize / 1e6:F0} MB.");
}

long trainRows = database.Count(TrainCondition), testRows = database.Count(TestCondition);

// DatabaseLoader: a schema from the class, a query per data view. Nothing is read until a cursor is opened; every cursor
// runs its query again on a connection of its own, and the rows come in the query's order: the loader cannot shuffle
// (CanShuffle is false, GetRowCount is null), so the trainer's shuffle buffer does the shuffling.
// The queries end in ORDER BY id, and must: ML.NET expects two cursors over one data view to see the same rows in the same
// order (Transform here scores blocks of rows read ahead by a second cursor and takes the label from the first), and
// PostgreSQL returns a table queried without ORDER BY in an order that changes from one query to the next (its parallel
// sequential scan, planned for tables over 8 MB, hands out rows as its workers find them): without it the test AUC fell
// from 0.84 to 0.63, scores paired with other rows' labels. SQLite happens to return rowid order, and its ORDER BY on the primary key costs nothing.
var mlContext = new MLContext(seed: 1);
DatabaseLoader loader = mlContext.Data.CreateDatabaseLoader<LoanApplication>();
IDataView train = loader.Load(new DatabaseSource(database.Factory, database.ConnectionString, Query(TrainCondition)));
IDataView test = loader.Load(new DatabaseSource(database.Factory, database.ConnectionString, Query(TestCondition)));

// The raw columns go in as they are (years, currency, months, counts): the trainer standardises the features itself.
var trainerOptions = new BackpropTrainer.Options
{
    LabelColumnName = nameof(LoanApplication.Defaulted),
    HiddenLayerSizes = [32, 16],
    MaximumNumberOfEpochs = options.Epochs,
    Caching = options.Caching, // the default shuffle buffer: the rows that fit 256 MiB
    Seed = 0,
    Progress = new EpochPrinter(options.Epochs),
};
var pipeline = mlContext.Transforms.Concatenate("Features",
        nameof(LoanApplication.Age), nameof(LoanApplication.Income), nameof(LoanApplication.Debt),
        nameof(LoanApplication.MonthsEmployed), nameof(LoanApplication.OpenAccounts))
    .Append(mlContext.BinaryClassification.Trainers.Backprop(trainerOptions));

if (typeof(BackpropTrainer).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
{
    Console.WriteLine("(A Debug build of the library: `dotnet run -c Release --project examples/Database` trains faster.)");
}

Console.WriteLine();
Console.WriteLine($"Training a 5-32-16-1 network on {trainRows:N0} rows ({TrainCondition}) for {options.Epochs} epochs, " +
    $"Caching = {trainerOptions.Caching}...");
var clock = Stopwatch.StartNew();
TransformerChain<BackpropTransformer> model = pipeline.Fit(train);
TimeSpan trainingTime = clock.Elapsed;

clock.Restart();
CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(
    model.Transform(test), labelColumnName: nameof(LoanApplication.Defaulted));
TimeSpan evaluationTime = clock.Elapsed;
double ruleAuc = RuleAuc(mlContext, test);

string modelPath = Path.Combine(AppContext.BaseDirectory, "loan-default-model.zip");
mlContext.Model.Save(model, train.Schema, modelPath);
var loadingContext = new MLContext();
ITransformer loaded = loadingContext.Model.Load(modelPath, out _);
var engine = loadingContext.Model.CreatePredictionEngine<LoanApplication, DefaultPrediction>(loaded);
LoanApplication first = mlContext.Data.CreateEnumerable<LoanApplication>(test, reuseRowObject: false).First();
DefaultPrediction firstPrediction = engine.Predict(first);
var madeUp = new LoanApplication { Age = 23, Income = 24_000, Debt = 19_500, MonthsEmployed = 4, OpenAccounts = 9 };
DefaultPrediction madeUpPrediction = engine.Predict(madeUp);

Console.WriteLine();
Console.WriteLine($"Test set: {testRows:N0} rows ({TestCondition})");
Console.WriteLine($"  AUC       {metrics.AreaUnderRocCurve:F4}   (the rule that drew the labels: {ruleAuc:F4}, the best to expect)");
Console.WriteLine($"  Accuracy  {metrics.Accuracy:F4}");
Console.WriteLine($"  Log loss  {metrics.LogLoss:F4}");
Console.WriteLine($"  evaluated in {evaluationTime.TotalSeconds:F1} s");
Console.WriteLine();
Console.WriteLine($"Saved the whole pipeline to {modelPath} ({new FileInfo(modelPath).Length / 1024.0:F1} KiB) and loaded it in a new MLContext.");
Console.WriteLine($"  first test row: age {first.Age}, income {first.Income:N0}, debt {first.Debt:N0}, {first.MonthsEmployed} months employed, " +
    $"{first.OpenAccounts} accounts, defaulted = {first.Defaulted}; predicted {firstPrediction.PredictedLabel} (probability {firstPrediction.Probability:F3})");
Console.WriteLine($"  made up: age 23, income 24,000, debt 19,500, 4 months employed, 9 accounts: probability of default {madeUpPrediction.Probability:F3}");
Console.WriteLine();
Console.WriteLine($"Rows:              {trainRows:N0} training, {testRows:N0} test");
Console.WriteLine($"Training time:     {trainingTime.TotalSeconds:F1} s ({options.Epochs} epochs, reading included)");
Console.WriteLine($"Peak working set:  {MachineFacts.PeakWorkingSet() / (1024.0 * 1024):F0} MiB");
Console.WriteLine($"Model file:        {new FileInfo(modelPath).Length:N0} bytes");
Console.WriteLine($"CPU:               {MachineFacts.Processor()}");
return 0;

static string DefaultFile(int rows) => Path.Combine(AppContext.BaseDirectory, "data", $"loan-applications-{rows}.db");

static string Query(string condition) =>
    $"SELECT age, income, debt, months_employed, open_accounts, defaulted FROM {LoanApplications.Table} WHERE {condition} ORDER BY id";

// The AUC of the generating rule's own probabilities on the test rows, through ML.NET's evaluator.
static double RuleAuc(MLContext mlContext, IDataView test)
{
    var scored = mlContext.Data.CreateEnumerable<LoanApplication>(test, reuseRowObject: false).Select(a =>
    {
        double p = LoanApplications.DefaultProbability(a.Age, a.Income, a.Debt, a.MonthsEmployed, a.OpenAccounts);
        return new RuleScore { Label = a.Defaulted, Score = (float)Math.Log(p / (1 - p)), PredictedLabel = p > 0.5 };
    });
    return mlContext.BinaryClassification.EvaluateNonCalibrated(mlContext.Data.LoadFromEnumerable(scored)).AreaUnderRocCurve;
}

/// <summary>A test row scored by the rule the labels were drawn from.</summary>
internal sealed class RuleScore
{
    public bool Label { get; set; }

    public float Score { get; set; }

    public bool PredictedLabel { get; set; }
}

/// <summary>Prints one line per epoch (the library itself never writes to the console).</summary>
internal sealed class EpochPrinter(int epochs) : IProgress<EpochReport>
{
    public void Report(EpochReport value) =>
        Console.WriteLine($"  epoch {value.Epoch,2}/{epochs}: training loss {value.TrainingLoss:F4}, {value.Elapsed.TotalSeconds:F1} s");
}
