// Learning curves: training and validation loss per epoch on a log scale, drawn to a PNG with ScottPlot, with the epochs
// early stopping would choose.
// scikit-learn's 8×8 digits (examples/data/digits.csv): 80% to train, 20% to validate, standardised.
// Usage: dotnet run --project examples/LearningCurves [-- output.png]
using System.Globalization;
using Backprop.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using ScottPlot;
using ScottPlot.TickGenerators;

string output = args.Length > 0 ? args[0] : Path.Combine(Environment.CurrentDirectory, "learning-curves.png");
var mlContext = new MLContext(seed: 1);
IDataView data = mlContext.Data.LoadFromTextFile(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv"),
    [new TextLoader.Column("Features", DataKind.Single, 0, 63), new TextLoader.Column("Label", DataKind.Single, 64)],
    separatorChar: ',', hasHeader: true);
var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);

// Fit the featurisation on the training rows only, then give the trainer both sets: the validation loss of
// every epoch goes into its report.
var prepare = mlContext.Transforms.Conversion.MapValueToKey("Label")
    .Append(mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false))
    .Fit(split.TrainSet);
IDataView train = prepare.Transform(split.TrainSet), valid = prepare.Transform(split.TestSet);

// Two trainings with the same seed, so they take the same path: one runs all 150 epochs (Tolerance = 0: the training
// loss never stops it), the other stops early by the trainer's own rule, on the validation accuracy.
BackpropTrainer.Options Options(bool earlyStopping)
{
    var options = new BackpropTrainer.Options
    {
        HiddenLayerSizes = [64],
        LearningRate = 0.001,
        MaximumNumberOfEpochs = 150,
        Seed = 1,
        EarlyStopping = earlyStopping,
    };
    if (!earlyStopping)
    {
        options.Tolerance = 0;
    }

    return options;
}

BackpropTransformer model = mlContext.MulticlassClassification.Trainers.Backprop(Options(earlyStopping: false)).Fit(train, valid);
TrainingHistory history = model.Model.TrainingHistory;
double[] epochs = history.Select(r => (double)r.Epoch).ToArray();
double[] training = history.Select(r => r.TrainingLoss).ToArray();
double[] validation = history.Select(r => r.ValidationLoss ?? double.NaN).ToArray();
int lowest = history.MinBy(r => r.ValidationLoss)!.Epoch;

// Early stopping ends training after more than NumberOfEpochsWithoutImprovement epochs without a better validation
// accuracy, and keeps the weights of the best-scoring epoch. Its history ends at the epoch it stopped; which epoch's
// weights it kept shows in the model it returns, whose validation loss is the one recorded at that epoch.
BackpropTrainer.Options early = Options(earlyStopping: true);
BackpropTransformer stoppedModel = mlContext.MulticlassClassification.Trainers.Backprop(early).Fit(train, valid);
TrainingHistory stoppedHistory = stoppedModel.Model.TrainingHistory;
int stopped = stoppedHistory.Count;
MulticlassClassificationMetrics keptMetrics = mlContext.MulticlassClassification.Evaluate(stoppedModel.Transform(valid));
int kept = EpochOfValidationLoss(history, stopped, keptMetrics.LogLoss);

// The loss axis is logarithmic: the curves are drawn as log10 of the losses, with ticks at powers of ten labelled
// as the losses themselves, and minor ticks at 2 to 9 times them.
var plot = new Plot();
var trainLine = plot.Add.ScatterLine(epochs, training.Select(Math.Log10).ToArray());
trainLine.LegendText = "training loss (with L2 penalty)";
var validLine = plot.Add.ScatterLine(epochs, validation.Select(Math.Log10).ToArray());
validLine.LegendText = "validation loss";
var lowestMarker = plot.Add.Marker(lowest, Math.Log10(validation[lowest - 1]));
lowestMarker.LegendText = $"lowest validation loss (epoch {lowest})";
var keptMarker = plot.Add.Marker(kept, Math.Log10(validation[kept - 1]), MarkerShape.FilledDiamond, size: 10);
keptMarker.LegendText = $"weights early stopping keeps (epoch {kept}, best validation accuracy)";
var stopLine = plot.Add.VerticalLine(stopped);
stopLine.LinePattern = LinePattern.Dashed;
stopLine.LegendText = $"early stopping ends training (epoch {stopped})";
plot.Axes.Left.TickGenerator = new NumericAutomatic
{
    IntegerTicksOnly = true,
    LabelFormatter = y => Math.Pow(10, y).ToString("G", CultureInfo.InvariantCulture),
    MinorTickGenerator = new LogMinorTickGenerator { Divisions = 10 },
};
plot.Grid.YAxisStyle.MinorLineStyle.Width = 1;
plot.Title("Backprop.MLNet on digits: 64-64-10, Adam");
plot.XLabel("epoch");
plot.YLabel("cross-entropy (log scale)");
plot.ShowLegend(Alignment.UpperRight);
plot.SavePng(output, 800, 450);

var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(valid));
Console.WriteLine($"{history.Count} epochs; training loss {training[0]:F3} -> {training[^1]:F4}; validation loss lowest {validation[lowest - 1]:F4} at epoch {lowest}, last {validation[^1]:F4}; validation accuracy {metrics.MicroAccuracy:F4}.");
Console.WriteLine($"Early stopping (validation accuracy, {early.NumberOfEpochsWithoutImprovement} epochs without improvement allowed): {stoppedHistory.StopReason} " +
    $"after epoch {stopped}, keeping the weights of epoch {kept} (validation loss {validation[kept - 1]:F4}, accuracy {keptMetrics.MicroAccuracy:F4}).");
Console.WriteLine($"Curves written to {output}");

// The 1-based epoch, among the first `epochs`, whose recorded validation loss is `loss` (recomputed by ML.NET's
// evaluator, so equal to it up to rounding).
static int EpochOfValidationLoss(TrainingHistory history, int epochs, double loss)
{
    EpochReport nearest = history.Take(epochs).MinBy(r => Math.Abs(r.ValidationLoss!.Value - loss))!;
    return Math.Abs(nearest.ValidationLoss!.Value - loss) <= 1e-6 * loss
        ? nearest.Epoch
        : throw new InvalidOperationException($"No epoch up to {epochs} recorded a validation loss of {loss} (the nearest: epoch {nearest.Epoch}, {nearest.ValidationLoss}).");
}
