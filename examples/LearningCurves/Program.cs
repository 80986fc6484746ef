// Learning curves: training and validation loss per epoch, drawn to a PNG with ScottPlot.
// scikit-learn's 8×8 digits (examples/data/digits.csv): 80% to train, 20% to validate, standardised.
// Usage: dotnet run --project examples/LearningCurves [-- output.png]
using Backprop.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using ScottPlot;

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
var trainer = mlContext.MulticlassClassification.Trainers.Backprop(new BackpropTrainer.Options
{
    HiddenLayerSizes = [64],
    LearningRate = 0.001,
    MaximumNumberOfEpochs = 150,
    Tolerance = 0,
});
BackpropTransformer model = trainer.Fit(prepare.Transform(split.TrainSet), prepare.Transform(split.TestSet));

TrainingHistory history = model.Model.TrainingHistory;
double[] epochs = history.Select(r => (double)r.Epoch).ToArray();
double[] training = history.Select(r => r.TrainingLoss).ToArray();
double[] validation = history.Select(r => r.ValidationLoss ?? double.NaN).ToArray();
int best = Array.IndexOf(validation, validation.Min());

var plot = new Plot();
var trainLine = plot.Add.ScatterLine(epochs, training);
trainLine.LegendText = "training loss (with L2 penalty)";
var validLine = plot.Add.ScatterLine(epochs, validation);
validLine.LegendText = "validation loss";
var marker = plot.Add.Marker(epochs[best], validation[best]);
marker.LegendText = $"lowest validation loss (epoch {epochs[best]})";
plot.Axes.SetLimitsY(0, Math.Max(training.Max(), validation.Max()) * 1.05);
plot.Title("Backprop.MLNet on digits: 64-64-10, Adam");
plot.XLabel("epoch");
plot.YLabel("cross-entropy");
plot.ShowLegend(Alignment.UpperRight);
plot.SavePng(output, 800, 450);

var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(prepare.Transform(split.TestSet)));
Console.WriteLine($"{history.Count} epochs; training loss {training[0]:F3} -> {training[^1]:F4}; validation loss lowest {validation[best]:F4} at epoch {epochs[best]}, last {validation[^1]:F4}.");
Console.WriteLine($"Validation accuracy {metrics.MicroAccuracy:F4}. Curves written to {output}");
