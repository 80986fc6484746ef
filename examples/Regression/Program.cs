// Regression on real data with permutation feature importance.
// Diabetes progression (examples/data/diabetes.csv, 442 patients, 10 baseline measurements; see
// examples/data/README.md). The target (25..346) is used as it is: the trainer standardises it internally.
using Backprop.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

var mlContext = new MLContext(seed: 1);
string[] names = ["Age", "Sex", "Bmi", "BloodPressure", "S1", "S2", "S3", "S4", "S5", "S6"];
IDataView data = mlContext.Data.LoadFromTextFile(Path.Combine(AppContext.BaseDirectory, "data", "diabetes.csv"),
    [new TextLoader.Column("Features", DataKind.Single, 0, 9), new TextLoader.Column("Label", DataKind.Single, 10)],
    separatorChar: ',', hasHeader: true);
var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);

var featurize = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false).Fit(split.TrainSet);
BackpropTransformer model = mlContext.Regression.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [32] })
    .Fit(featurize.Transform(split.TrainSet));
IDataView test = featurize.Transform(split.TestSet);

RegressionMetrics metrics = mlContext.Regression.Evaluate(model.Transform(test));
Console.WriteLine($"Test R² {metrics.RSquared:F3}, RMSE {metrics.RootMeanSquaredError:F1}, MAE {metrics.MeanAbsoluteError:F1} " +
    $"({model.Model.TrainingHistory.Count} epochs, {model.Model.TrainingHistory.StopReason}).");
Console.WriteLine($"The label was standardised with mean {model.Model.LabelMean![0]:F1} and sd {model.Model.LabelStandardDeviation![0]:F1}.");

// How much worse does the model get when one feature's values are shuffled? (ML.NET's PFI works unchanged,
// because BackpropTransformer is an ISingleFeaturePredictionTransformer.)
var importance = mlContext.Regression.PermutationFeatureImportance(model, test, permutationCount: 10);
Console.WriteLine();
Console.WriteLine("Permutation feature importance (increase of RMSE when the feature is shuffled, mean ± sd of 10):");
foreach (var (name, stats) in names.Zip(importance).OrderByDescending(p => p.Second.RootMeanSquaredError.Mean))
{
    Console.WriteLine($"  {name,-14} {stats.RootMeanSquaredError.Mean,7:F2} ± {stats.RootMeanSquaredError.StandardDeviation:F2}");
}
