// Quickstart: a neural network for ML.NET on real data.
// Breast Cancer Wisconsin (Diagnostic): 569 tumours, 30 measurements each, label "Malignant"
// (UCI Machine Learning Repository, CC BY 4.0; see examples/data/README.md).
// Load the CSV, split 80/20, standardise, train a BackpropTrainer, evaluate with ML.NET's evaluator,
// save the model, load it back and predict one tumour.
using Backprop.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

var mlContext = new MLContext(seed: 1);
string dataPath = Path.Combine(AppContext.BaseDirectory, "data", "breast-cancer.csv");
IDataView data = mlContext.Data.LoadFromTextFile<Tumour>(dataPath, hasHeader: true, separatorChar: ',');
DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);

var options = new BackpropTrainer.Options
{
    LabelColumnName = nameof(Tumour.Malignant),
    HiddenLayerSizes = [32, 16],
    MaximumNumberOfEpochs = 200,
    Progress = new EveryNthEpoch(50),
};
var pipeline = mlContext.Transforms.NormalizeMeanVariance("Features", fixZero: false)
    .Append(mlContext.BinaryClassification.Trainers.Backprop(options));

Console.WriteLine("Training a 30-32-16-1 network on 80% of the breast cancer data...");
var model = pipeline.Fit(split.TrainSet);

CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(
    model.Transform(split.TestSet), labelColumnName: nameof(Tumour.Malignant));
Console.WriteLine();
Console.WriteLine($"Test set ({metrics.ConfusionMatrix.NumberOfClasses}-class confusion matrix below):");
Console.WriteLine($"  Accuracy  {metrics.Accuracy:F4}");
Console.WriteLine($"  AUC       {metrics.AreaUnderRocCurve:F4}");
Console.WriteLine($"  F1        {metrics.F1Score:F4}");
Console.WriteLine($"  Log loss  {metrics.LogLoss:F4}");
Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

TrainingHistory history = model.LastTransformer.Model.TrainingHistory;
Console.WriteLine($"Training loss: {history[0].TrainingLoss:F4} after epoch 1, {history[^1].TrainingLoss:F4} after epoch {history[^1].Epoch} " +
    $"(stopped: {history.StopReason}), {history[^1].Elapsed.TotalSeconds:F2} s.");

string modelPath = Path.Combine(AppContext.BaseDirectory, "breast-cancer-model.zip");
mlContext.Model.Save(model, data.Schema, modelPath);
ITransformer loaded = mlContext.Model.Load(modelPath, out _);
Console.WriteLine($"Saved the whole pipeline to {modelPath} and loaded it back.");

Tumour example = mlContext.Data.CreateEnumerable<Tumour>(split.TestSet, reuseRowObject: false).First();
var engine = mlContext.Model.CreatePredictionEngine<Tumour, Diagnosis>(loaded);
Diagnosis prediction = engine.Predict(example);
Console.WriteLine($"First test tumour: malignant = {example.Malignant}; the loaded model predicts {prediction.PredictedLabel} " +
    $"(probability {prediction.Probability:F3}).");

/// <summary>One row of breast-cancer.csv.</summary>
internal sealed class Tumour
{
    [LoadColumn(0, 29), VectorType(30), ColumnName("Features")]
    public float[] Features { get; set; } = [];

    [LoadColumn(30)]
    public bool Malignant { get; set; }
}

/// <summary>What the binary classifier adds to a row.</summary>
internal sealed class Diagnosis
{
    public bool PredictedLabel { get; set; }

    public float Probability { get; set; }

    public float Score { get; set; }
}

/// <summary>Prints one line every <c>n</c> epochs (the library itself never writes to the console).</summary>
internal sealed class EveryNthEpoch(int n) : IProgress<EpochReport>
{
    public void Report(EpochReport value)
    {
        if (value.Epoch == 1 || value.Epoch % n == 0)
        {
            Console.WriteLine($"  epoch {value.Epoch,3}: training loss {value.TrainingLoss:F4}");
        }
    }
}
