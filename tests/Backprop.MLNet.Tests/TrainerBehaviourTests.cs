using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests;

/// <summary>Task inference, the catalogs, seeds, progress and log, validation data, warm start and cancellation.</summary>
public class TrainerBehaviourTests
{
    private sealed class DoubleLabelRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public double Label { get; set; }
    }

    [Fact]
    public void AutoInfersTheTaskFromTheLabelType()
    {
        var ml = new MLContext(seed: 1);
        BackpropTransformer Fit(IDataView data) => new BackpropTrainer(ml, new BackpropTrainer.Options { HiddenLayerSizes = [3], MaximumNumberOfEpochs = 2 }).Fit(data);

        var binary = Fit(MLData.Blobs(ml, 20, 1));
        Assert.Equal(BackpropTask.BinaryClassification, binary.Model.Task);
        Assert.Equal(1, binary.Model.OutputSize);

        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.ThreeClasses(ml, 30, 1)).Transform(MLData.ThreeClasses(ml, 30, 1));
        var multiclass = Fit(keyed);
        Assert.Equal(BackpropTask.MulticlassClassification, multiclass.Model.Task);
        Assert.Equal(3, multiclass.Model.OutputSize);

        Assert.Equal(BackpropTask.Regression, Fit(MLData.Wave(ml, 20, 1)).Model.Task);
        IDataView doubles = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 20).Select(i => new DoubleLabelRow { Features = [i, 1], Label = i * 0.5 }));
        Assert.Equal(BackpropTask.Regression, Fit(doubles).Model.Task);
    }

    /// <summary>
    /// A Single or Double label holding only 0 and 1 is trained as regression by Task = Auto; the log warns, naming the
    /// column and the calls that make it binary classification. Not when Task = Regression was asked for (the regression
    /// catalog sets it), and not when the label holds another value too.
    /// </summary>
    [Fact]
    public void AZeroOneNumberLabelWithAutoTaskWarnsThatItTrainsARegressor()
    {
        var ml = new MLContext(seed: 1);
        List<string> warnings = Warnings(ml);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [3], MaximumNumberOfEpochs = 2, Seed = 1 };
        IDataView zeroOne = Numbers(ml, i => i % 2, "Target");
        options.LabelColumnName = "Target";

        BackpropTransformer auto = new BackpropTrainer(ml, options).Fit(zeroOne);

        Assert.Equal(BackpropTask.Regression, auto.Model.Task);
        string warning = Assert.Single(warnings, m => m.Contains("holds only the values 0 and 1"));
        Assert.Contains("the label column 'Target' is Single", warning);
        Assert.Contains("mlContext.Transforms.Conversion.ConvertType(\"Target\", outputKind: DataKind.Boolean)", warning);
        Assert.Contains("mlContext.BinaryClassification.Trainers.Backprop(...)", warning);
        Assert.Contains("Task = BackpropTask.Regression", warning);

        warnings.Clear();
        IDataView doubles = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 40).Select(i => new DoubleLabelRow { Features = [i % 5, i % 2], Label = i % 2 }));
        new BackpropTrainer(ml, new BackpropTrainer.Options { HiddenLayerSizes = [3], MaximumNumberOfEpochs = 2, Seed = 1 }).Fit(doubles);
        Assert.Contains(warnings, m => m.Contains("the label column 'Label' is Double and holds only the values 0 and 1"));

        // The fix it shows works: converted to Boolean, the same label trains a binary classifier.
        IDataView converted = ml.Transforms.Conversion.ConvertType("Target", outputKind: DataKind.Boolean).Fit(zeroOne).Transform(zeroOne);
        Assert.Equal(BackpropTask.BinaryClassification, new BackpropTrainer(ml, options).Fit(converted).Model.Task);
    }

    [Fact]
    public void AZeroOneLabelTrainedAsRegressionOnPurposeOrWithOtherValuesDoesNotWarn()
    {
        var ml = new MLContext(seed: 1);
        List<string> warnings = Warnings(ml);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [3], MaximumNumberOfEpochs = 2, Seed = 1, LabelColumnName = "Target" };

        ml.Regression.Trainers.Backprop(options).Fit(Numbers(ml, i => i % 2, "Target"));
        new BackpropTrainer(ml, new BackpropTrainer.Options { Task = BackpropTask.Regression, LabelColumnName = "Target", HiddenLayerSizes = [3], MaximumNumberOfEpochs = 2 })
            .Fit(Numbers(ml, i => i % 2, "Target"));
        new BackpropTrainer(ml, options).Fit(Numbers(ml, i => i % 3, "Target")); // 0, 1 and 2
        new BackpropTrainer(ml, options).Fit(Numbers(ml, _ => 1, "Target"));     // only 1

        Assert.DoesNotContain(warnings, m => m.Contains("0 and 1"));
    }

    /// <summary>40 rows whose label column <paramref name="label"/> (Single) is <paramref name="value"/>(row).</summary>
    private static IDataView Numbers(MLContext ml, Func<int, int> value, string label)
    {
        var rows = Enumerable.Range(0, 40).Select(i => new MLData.RegressionRow { Features = [i % 5, value(i)], Label = value(i) }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.CopyColumns(label, "Label").Append(ml.Transforms.DropColumns("Label")).Fit(data).Transform(data);
    }

    private static List<string> Warnings(MLContext ml)
    {
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
            {
                lock (warnings)
                {
                    warnings.Add(e.Message);
                }
            }
        };
        return warnings;
    }

    [Fact]
    public void CatalogExtensionsSetTheTask()
    {
        var ml = new MLContext(seed: 1);
        var options = new BackpropTrainer.Options { Task = BackpropTask.Regression };
        Assert.Equal(BackpropTask.BinaryClassification, ml.BinaryClassification.Trainers.Backprop().TrainerOptions.Task);
        Assert.Equal(BackpropTask.BinaryClassification, ml.BinaryClassification.Trainers.Backprop(options).TrainerOptions.Task);
        Assert.Equal(BackpropTask.MulticlassClassification, ml.MulticlassClassification.Trainers.Backprop().TrainerOptions.Task);
        Assert.Equal(BackpropTask.MulticlassClassification, ml.MulticlassClassification.Trainers.Backprop(options).TrainerOptions.Task);
        Assert.Equal(BackpropTask.Regression, ml.Regression.Trainers.Backprop().TrainerOptions.Task);
        Assert.Equal(BackpropTask.Regression, options.Task); // the caller's options are not changed

        var simple = ml.Regression.Trainers.Backprop("Y", "X", [7, 5], learningRate: 0.02, maximumNumberOfEpochs: 9).TrainerOptions;
        Assert.Equal(("Y", "X", 0.02, 9), (simple.LabelColumnName, simple.FeatureColumnName, simple.LearningRate, simple.MaximumNumberOfEpochs));
        Assert.Equal([7, 5], simple.HiddenLayerSizes);
        Assert.Equal([100], new BackpropTrainer(ml).TrainerOptions.HiddenLayerSizes);
    }

    [Fact]
    public void SameSeedSameWeightsDifferentSeedDifferentWeights()
    {
        float[] Weights(int? seed, int contextSeed)
        {
            var ml = new MLContext(seed: contextSeed);
            var model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [5], MaximumNumberOfEpochs = 5, Seed = seed })
                .Fit(MLData.Blobs(ml, 100, seed: 9));
            return Enumerable.Range(0, model.Model.LayerCount).SelectMany(l => model.Model.GetWeights(l).Concat(model.Model.GetBiases(l))).ToArray();
        }

        Assert.Equal(Weights(3, contextSeed: 1), Weights(3, contextSeed: 2)); // an explicit seed wins over the context's
        Assert.NotEqual(Weights(3, contextSeed: 1), Weights(4, contextSeed: 1));
        Assert.Equal(Weights(null, contextSeed: 5), Weights(null, contextSeed: 5)); // null: the MLContext's seed decides
        Assert.NotEqual(Weights(null, contextSeed: 5), Weights(null, contextSeed: 6));
    }

    [Fact]
    public void EveryEpochIsReportedToProgressTheLogAndTheHistory()
    {
        var ml = new MLContext(seed: 1);
        var logged = new List<string>();
        ml.Log += (_, e) => { lock (logged) { logged.Add(e.Message); } };
        var reports = new List<EpochReport>();
        var model = ml.Regression.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [4],
            MaximumNumberOfEpochs = 7,
            Tolerance = 0,
            Progress = new Collect(reports),
        }).Fit(MLData.Wave(ml, 50, seed: 1));

        Assert.Equal(Enumerable.Range(1, 7), reports.Select(r => r.Epoch));
        Assert.Equal(reports, model.Model.TrainingHistory);
        Assert.All(reports, r => Assert.Null(r.ValidationLoss));
        Assert.All(reports, r => Assert.Null(r.ValidationScore));
        Assert.True(reports.Zip(reports.Skip(1), (a, b) => b.Elapsed >= a.Elapsed).All(x => x));
        Assert.Equal(7, logged.Count(m => m.Contains("BackpropTrainer: epoch ")));
        Assert.Contains(logged, m => m.Contains("stopped after 7 epochs (EpochLimit)"));
    }

    [Fact]
    public void ValidationDataGivesAValidationLossEveryEpochWithoutChangingTraining()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = MLData.Wave(ml, 80, seed: 1), valid = MLData.Wave(ml, 40, seed: 2);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [6], MaximumNumberOfEpochs = 5, Seed = 11, StandardizeRegressionLabel = false };
        var withValidation = new BackpropTrainer(ml, options).Fit(train, valid);
        var without = new BackpropTrainer(ml, options).Fit(train);

        Assert.All(withValidation.Model.TrainingHistory, r => Assert.True(r.ValidationLoss is > 0));
        Assert.Equal(without.Model.GetWeights(0), withValidation.Model.GetWeights(0));

        // The last epoch's validation loss is the squared error ½·mean((ŷ − y)²) of the final model on the validation rows.
        float[] predicted = withValidation.Transform(valid).GetColumn<float>("Score").ToArray();
        float[] labels = valid.GetColumn<float>("Label").ToArray();
        double expected = predicted.Zip(labels, (p, y) => 0.5 * (p - y) * (p - y)).Average();
        Assert.Equal(expected, withValidation.Model.TrainingHistory[^1].ValidationLoss!.Value, 4);
    }

    [Fact]
    public void WarmStartContinuesFromTheGivenModel()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = MLData.Wave(ml, 100, seed: 3);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [8], LearningRate = 0.01, MaximumNumberOfEpochs = 20, Tolerance = 0, Seed = 2 };
        var first = new BackpropTrainer(ml, options).Fit(data);
        var continued = new BackpropTrainer(ml, options).Fit(data, first.Model);
        // The history continues the first model's (epochs 21 to 40), and the loss goes on from where it was.
        Assert.Equal(Enumerable.Range(1, 40), continued.Model.TrainingHistory.Select(r => r.Epoch));
        Assert.Equal(first.Model.TrainingHistory.Select(r => r.TrainingLoss), continued.Model.TrainingHistory.Take(20).Select(r => r.TrainingLoss));
        Assert.True(continued.Model.TrainingHistory[20].TrainingLoss < first.Model.TrainingHistory[0].TrainingLoss / 2,
            $"{continued.Model.TrainingHistory[20].TrainingLoss} vs {first.Model.TrainingHistory[0].TrainingLoss}");
        Assert.True(continued.Model.TrainingHistory[^1].TrainingLoss < first.Model.TrainingHistory[^1].TrainingLoss);

        var wrongShape = new BackpropTrainer(ml, new BackpropTrainer.Options { HiddenLayerSizes = [9] });
        var e = Assert.Throws<ArgumentException>(() => wrongShape.Fit(data, first.Model));
        Assert.Contains("hidden layers [8]", e.Message);
        Assert.Contains("[9]", e.Message);

        var wrongTask = ml.BinaryClassification.Trainers.Backprop(hiddenLayerSizes: [8]);
        Assert.Contains("Regression", Assert.Throws<ArgumentException>(() => wrongTask.Fit(MLData.Blobs(ml, 20, 1), first.Model)).Message);
    }

    [Fact]
    public void CancelExecutionStopsTrainingWithOperationCanceled()
    {
        var ml = new MLContext(seed: 1);
        int epochsSeen = 0;
        var trainer = ml.Regression.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [16],
            MaximumNumberOfEpochs = 100_000,
            Tolerance = 0,
            Progress = new ProgressCallback(r =>
            {
                epochsSeen = r.Epoch;
                if (r.Epoch == 3)
                {
                    ml.CancelExecution();
                }
            }),
        });
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(MLData.Wave(ml, 500, seed: 1)));
        Assert.Equal(3, epochsSeen); // stopped before the fourth epoch finished
    }

    [Fact]
    public void CancelExecutionFromAnotherThreadStopsALongTraining()
    {
        var ml = new MLContext(seed: 1);
        var started = new ManualResetEventSlim();
        var trainer = ml.Regression.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [32],
            MaximumNumberOfEpochs = 1_000_000,
            Tolerance = 0,
            BatchSize = 10,
            Progress = new ProgressCallback(_ => started.Set()),
        });
        IDataView data = MLData.Wave(ml, 2000, seed: 1);
        Task fit = Task.Run(() => trainer.Fit(data));
        Assert.True(started.Wait(TimeSpan.FromSeconds(60)), "training did not start");
        ml.CancelExecution();
        var e = Assert.Throws<AggregateException>(() => fit.Wait(TimeSpan.FromSeconds(60)));
        Assert.IsAssignableFrom<OperationCanceledException>(e.InnerException);
    }

    private sealed class Collect(List<EpochReport> into) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => into.Add(value);
    }
}
