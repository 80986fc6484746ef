// 5-fold cross-validation with ML.NET's own CrossValidate, on the breast cancer data (examples/data).
using Backprop.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

var mlContext = new MLContext(seed: 1);
IDataView data = mlContext.Data.LoadFromTextFile(Path.Combine(AppContext.BaseDirectory, "data", "breast-cancer.csv"),
    [new TextLoader.Column("Features", DataKind.Single, 0, 29), new TextLoader.Column("Label", DataKind.Boolean, 30)],
    separatorChar: ',', hasHeader: true);

// The normaliser is part of the pipeline, so each fold fits it on that fold's training rows only.
var pipeline = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false)
    .Append(mlContext.BinaryClassification.Trainers.Backprop(hiddenLayerSizes: [32, 16]));
var folds = mlContext.BinaryClassification.CrossValidate(data, pipeline, numberOfFolds: 5);

Console.WriteLine("fold  accuracy   AUC      F1     log loss");
foreach (var fold in folds)
{
    var m = fold.Metrics;
    Console.WriteLine($"{fold.Fold,4}  {m.Accuracy,8:F4} {m.AreaUnderRocCurve,7:F4} {m.F1Score,7:F4} {m.LogLoss,9:F4}");
}

double mean = folds.Average(f => f.Metrics.Accuracy);
double sd = Math.Sqrt(folds.Average(f => Math.Pow(f.Metrics.Accuracy - mean, 2)));
Console.WriteLine($"mean  {mean,8:F4} ± {sd:F4} (accuracy over 5 folds)");
