// Text classification: which section of the Debian archive (libs, utils, python, doc, net, ...) does a package
// belong to, judging by its description? The data is the package lists apt keeps in /var/lib/apt/lists after
// `apt-get update`, read at run time: every package's name, Section and Description.
// The 12 most frequent sections are kept; FeaturizeText turns the descriptions into a sparse bag of word and character
// n-grams; a BackpropTrainer learns the sections, and ML.NET's SdcaMaximumEntropy trains on the same features for
// reference. The whole pipeline is saved, loaded in a new MLContext and asked about a few packages.
// Usage: dotnet run --project examples/TextClassification [-- --max-packages N --epochs N --lists DIR]
using System.Diagnostics;
using System.Reflection;
using Backprop.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using TextClassification;

const int SectionsKept = 12;
const int HiddenUnits = 64;
const int ShuffleSeed = 1;

CommandLine? options = CommandLine.Parse(args, out string? error);
if (options is null)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

if (DebianPackages.Find(options.Lists, "Packages").Count == 0)
{
    Console.WriteLine($"No package lists in {options.Lists} (apt writes them there as *_Packages files). Fetch them with:");
    Console.WriteLine("  sudo apt-get update");
    Console.WriteLine("and run this example again.");
    return 0;
}

// The data: one row per package of the 12 biggest sections, shuffled with a fixed seed, split 80/20.
var clock = Stopwatch.StartNew();
DebianPackageList list = DebianPackages.Read(options.Lists);
Console.WriteLine($"Read {list.Stanzas:N0} package stanzas from {list.PackagesFiles} Packages lists in {options.Lists} ({clock.Elapsed.TotalSeconds:F1} s):");
Console.WriteLine($"  {list.Packages.Count:N0} distinct packages ({list.Duplicates:N0} stanzas repeat a package of another list; {list.Incomplete:N0} lack a field).");
Console.WriteLine(list.TranslationFiles > 0
    ? $"  Long descriptions from {list.TranslationFiles} Translation-en lists: {list.WithDetails:N0} packages have one."
    : $"  No Translation-en lists, so one-line descriptions only ({list.WithDetails:N0} packages have a long one in Packages).");

if (list.Packages.Count == 0)
{
    throw new InvalidDataException($"The lists in {options.Lists} hold no package with a Package, Section and Description field.");
}

var sizes = list.Packages.CountBy(p => p.Section).OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).ToArray();
var kept = sizes.Take(SectionsKept).Select(s => s.Key).ToHashSet();
DebianPackage[] packages = list.Packages.Where(p => kept.Contains(p.Section)).ToArray();
Console.WriteLine($"Kept the {kept.Count} most frequent of {sizes.Length} sections, {packages.Length:N0} packages:");
Console.WriteLine("  " + string.Join(", ", sizes.Take(SectionsKept).Select(s => $"{s.Key} {s.Value:N0}")));

new Random(ShuffleSeed).Shuffle(packages);
PackageText[] rows = packages.Take(options.MaxPackages ?? packages.Length).Select(PackageText.From).ToArray();
int trainCount = (int)(rows.Length * 0.8);
PackageText[] trainRows = rows[..trainCount], testRows = rows[trainCount..];
Console.WriteLine($"Using {rows.Length:N0} packages{(options.MaxPackages is null ? "" : " (--max-packages)")}: " +
    $"{trainRows.Length:N0} to train on, {testRows.Length:N0} to test on.");

// Featurize once, for both trainers. MapValueToKey gives the label a key type (12 values, in alphabetical order);
// FeaturizeText makes a sparse vector of word 1-2-gram and character 3-gram counts, scaled to unit length, so the
// trainer needs no normaliser (NormalizeMeanVariance would shift every zero and make the rows dense).
var mlContext = new MLContext(seed: 1);
IDataView trainText = mlContext.Data.LoadFromEnumerable(trainRows), testText = mlContext.Data.LoadFromEnumerable(testRows);
clock.Restart();
TransformerChain<ITransformer> featurizer = mlContext.Transforms.Conversion
    .MapValueToKey("Label", nameof(PackageText.Section), keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
    .Append<ITransformer>(mlContext.Transforms.Text.FeaturizeText("Features", nameof(PackageText.Text)))
    .Fit(trainText);
IDataView train = mlContext.Data.Cache(featurizer.Transform(trainText));
long nonZeros = Fill(train);
int featureCount = ((VectorDataViewType)train.Schema["Features"].Type).Size;
Console.WriteLine($"FeaturizeText: {featureCount:N0} features, {nonZeros / (double)trainRows.Length:F0} non-zero per package on average " +
    $"({clock.Elapsed.TotalSeconds:F1} s).");

// A Debug build of the library runs its kernels unoptimised: about 20 times slower here.
if (typeof(BackpropTrainer).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
{
    Console.WriteLine("(A Debug build: `dotnet run -c Release --project examples/TextClassification` trains about 20 times faster.)");
}

Console.WriteLine();
Console.WriteLine($"Training BackpropTrainer, a {featureCount:N0}-{HiddenUnits}-{kept.Count} network (ReLU, Adam), for {options.Epochs} epochs...");
var backpropTrainer = mlContext.MulticlassClassification.Trainers.Backprop(new BackpropTrainer.Options
{
    HiddenLayerSizes = [HiddenUnits],
    MaximumNumberOfEpochs = options.Epochs,
    Seed = 0,
    Progress = new EpochPrinter(options.Epochs),
});
clock.Restart();
BackpropTransformer backprop = backpropTrainer.Fit(train);
double backpropSeconds = clock.Elapsed.TotalSeconds;
double epochSeconds = backprop.Model.TrainingHistory[^1].Elapsed.TotalSeconds;
Console.WriteLine($"  fit: {backpropSeconds:F1} s, of which {epochSeconds:F1} s in the epochs and {backpropSeconds - epochSeconds:F1} s before the first (reading the rows, setting up the network).");

Console.WriteLine("Training SdcaMaximumEntropy (ML.NET's defaults) on the same features...");
clock.Restart();
ITransformer sdca = mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy().Fit(train);
double sdcaSeconds = clock.Elapsed.TotalSeconds;

// The whole pipeline, text in, section name out: the fitted featurizer, the network, and MapKeyToValue, which turns
// the predicted key back into the section's name.
IDataView scoredTrain = backprop.Transform(train);
var model = featurizer.Append(backprop).Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scoredTrain));

// The test packages go through the whole pipeline from their text; SDCA's through the same featurizer.
MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(testText));
MulticlassClassificationMetrics sdcaMetrics = mlContext.MulticlassClassification.Evaluate(sdca.Transform(featurizer.Transform(testText)));
Console.WriteLine();
Console.WriteLine($"{$"Test set ({testRows.Length:N0} packages)",-26}{"Backprop",10}{"SdcaMaximumEntropy",20}");
Console.WriteLine($"{"  MicroAccuracy",-26}{metrics.MicroAccuracy,10:F4}{sdcaMetrics.MicroAccuracy,20:F4}");
Console.WriteLine($"{"  MacroAccuracy",-26}{metrics.MacroAccuracy,10:F4}{sdcaMetrics.MacroAccuracy,20:F4}");
Console.WriteLine($"{"  LogLoss",-26}{metrics.LogLoss,10:F4}{sdcaMetrics.LogLoss,20:F4}");
Console.WriteLine($"{"  LogLossReduction",-26}{metrics.LogLossReduction,10:F4}{sdcaMetrics.LogLossReduction,20:F4}");
Console.WriteLine($"{"  fit time, s",-26}{backpropSeconds,10:F1}{sdcaSeconds,20:F1}");

// Class i of the metrics is key value i + 1 of the label, whose names MapValueToKey recorded in the schema.
string[] sections = KeyNames(train.Schema["Label"]);
Console.WriteLine();
Console.WriteLine("Backprop on the test set, per section:");
Console.WriteLine($"{"  section",-14}{"packages",10}{"recall",8}{"precision",11}{"log-loss",10}");
for (int c = 0; c < sections.Length; c++)
{
    int count = testRows.Count(r => r.Section == sections[c]);
    Console.WriteLine($"  {sections[c],-12}{count,10:N0}{metrics.ConfusionMatrix.PerClassRecall[c],8:F3}" +
        $"{metrics.ConfusionMatrix.PerClassPrecision[c],11:F3}{metrics.PerClassLogLoss[c],10:F3}");
}

// Save, then load in a new MLContext as another program would, and ask it about some packages.
string modelPath = Path.Combine(AppContext.BaseDirectory, "debian-sections-model.zip");
mlContext.Model.Save(model, trainText.Schema, modelPath);
var loadingContext = new MLContext();
ITransformer loaded = loadingContext.Model.Load(modelPath, out _);
var engine = loadingContext.Model.CreatePredictionEngine<PackageText, SectionPrediction>(loaded);
Console.WriteLine();
Console.WriteLine($"Saved the whole pipeline to {modelPath} ({new FileInfo(modelPath).Length / 1e6:F1} MB) and loaded it in a new MLContext.");

// Score is the vector of class probabilities; its slots are named after the label's key values.
string[] slotNames = SlotNames(engine.OutputSchema["Score"]);
Console.WriteLine("Its predictions, top 3 sections:");
string[] madeUp =
[
    "command-line utility to compress files",
    "Python 3 library for parsing HTML documents",
    "daemon that keeps the system clock in sync over the network",
];
foreach (string text in madeUp)
{
    Console.WriteLine($"  \"{text}\"");
    Console.WriteLine($"      {Top3(engine.Predict(new PackageText { Text = text }), slotNames)}");
}

foreach (PackageText package in testRows.DistinctBy(r => r.Section).Take(4))
{
    string summary = package.Text.Length <= 60 ? package.Text : package.Text[..57] + "...";
    Console.WriteLine($"  held out: {package.Package} ({package.Section}) \"{summary}\"");
    Console.WriteLine($"      {Top3(engine.Predict(package), slotNames)}");
}

return 0;

// Reads every row of the cached view once, so that the cache is filled before the trainers are timed; counts the
// non-zero features.
static long Fill(IDataView data)
{
    long nonZeros = 0;
    DataViewSchema.Column features = data.Schema["Features"];
    using DataViewRowCursor cursor = data.GetRowCursor([features, data.Schema["Label"]]);
    ValueGetter<VBuffer<float>> get = cursor.GetGetter<VBuffer<float>>(features);
    VBuffer<float> row = default;
    while (cursor.MoveNext())
    {
        get(ref row);
        foreach (float value in row.GetValues())
        {
            if (value != 0)
            {
                nonZeros++;
            }
        }
    }

    return nonZeros;
}

static string[] KeyNames(DataViewSchema.Column column)
{
    VBuffer<ReadOnlyMemory<char>> names = default;
    column.GetKeyValues(ref names);
    return names.DenseValues().Select(n => n.ToString()).ToArray();
}

static string[] SlotNames(DataViewSchema.Column column)
{
    VBuffer<ReadOnlyMemory<char>> names = default;
    column.GetSlotNames(ref names);
    return names.DenseValues().Select(n => n.ToString()).ToArray();
}

static string Top3(SectionPrediction prediction, string[] names) =>
    string.Join(", ", prediction.Score.Select((p, i) => (p, i)).OrderByDescending(s => s.p).Take(3).Select(s => $"{names[s.i]} {s.p:F3}"));

/// <summary>One package as the pipeline sees it.</summary>
internal sealed class PackageText
{
    public string Package { get; set; } = "";

    /// <summary>The label; empty for a description that is not from a package.</summary>
    public string Section { get; set; } = "";

    /// <summary>
    /// The text to classify: the short description, then the long one. The package name is left out on purpose:
    /// prefixes such as python3-, golang-, librust- and node- would give most sections away.
    /// </summary>
    public string Text { get; set; } = "";

    public static PackageText From(DebianPackage package) => new()
    {
        Package = package.Name,
        Section = package.Section,
        Text = package.Details.Length == 0 ? package.Summary : $"{package.Summary}. {package.Details}",
    };
}

/// <summary>What the pipeline adds to a row: the section name, and the probability of every section.</summary>
internal sealed class SectionPrediction
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}

/// <summary>Prints one line per epoch (the library itself never writes to the console).</summary>
internal sealed class EpochPrinter(int epochs) : IProgress<EpochReport>
{
    public void Report(EpochReport value) =>
        Console.WriteLine($"  epoch {value.Epoch,2}/{epochs}: training loss {value.TrainingLoss:F4}, {value.Elapsed.TotalSeconds:F1} s");
}
