using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests;

/// <summary>
/// <see cref="EpochReport.ValidationScore"/> (scikit-learn's <c>validation_scores_</c>): with validation rows, every epoch
/// reports the score early stopping decides on (accuracy, R² for regression), whatever the solver and with or without early
/// stopping; without them it is null. It goes to the log, and is saved with the history.
/// </summary>
public sealed class ValidationScoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bp-validscore-").FullName;

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(Solver.Adam)]
    [InlineData(Solver.Sgd)]
    [InlineData(Solver.Lbfgs)]
    public void EveryEpochReportsTheAccuracyOnTheValidationRows(Solver solver)
    {
        var ml = new MLContext(seed: 1);
        var logged = new List<string>();
        ml.Log += (_, e) => { lock (logged) { logged.Add(e.Message); } };
        IDataView train = MLData.Blobs(ml, 80, seed: 1), valid = MLData.Blobs(ml, 50, seed: 2);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [3], Solver = solver, MaximumNumberOfEpochs = 4, LearningRate = 0.003, Tolerance = 0, Seed = 4 };

        BackpropTransformer model = new BackpropTrainer(ml, options).Fit(train, valid);

        Assert.NotEmpty(model.Model.TrainingHistory);
        Assert.All(model.Model.TrainingHistory, r => Assert.InRange(r.ValidationScore!.Value, 0, 1));
        // The last epoch's score is the accuracy of the final model on the validation rows, computed here through ML.NET.
        bool[] predicted = model.Transform(valid).GetColumn<bool>("PredictedLabel").ToArray();
        bool[] labels = valid.GetColumn<bool>("Label").ToArray();
        double accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
        Assert.Equal(accuracy, model.Model.TrainingHistory[^1].ValidationScore);
        Assert.Equal(model.Model.TrainingHistory.Count, logged.Count(m => m.Contains("BackpropTrainer: epoch ") && m.Contains(", validation accuracy ")));
    }

    [Fact]
    public void RegressionReportsTheRSquaredOnTheValidationRows()
    {
        var ml = new MLContext(seed: 1);
        var logged = new List<string>();
        ml.Log += (_, e) => { lock (logged) { logged.Add(e.Message); } };
        IDataView train = MLData.Wave(ml, 120, seed: 1), valid = MLData.Wave(ml, 60, seed: 2);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [6], MaximumNumberOfEpochs = 30, LearningRate = 0.01, Tolerance = 0, Seed = 5 };

        BackpropTransformer model = new BackpropTrainer(ml, options).Fit(train, valid);

        double rSquared = ml.Regression.Evaluate(model.Transform(valid)).RSquared;
        Assert.InRange(rSquared, 0.1, 1); // a real fit, so that the comparison means something
        Assert.Equal(rSquared, model.Model.TrainingHistory[^1].ValidationScore!.Value, 4);
        Assert.Contains(logged, m => m.Contains("BackpropTrainer: epoch 30, ") && m.Contains(", validation R² "));
    }

    [Fact]
    public void WithoutValidationRowsTheScoreIsNull()
    {
        var ml = new MLContext(seed: 1);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [3], MaximumNumberOfEpochs = 3, Seed = 1 };

        BackpropTransformer model = new BackpropTrainer(ml, options).Fit(MLData.Blobs(ml, 40, seed: 1));

        Assert.All(model.Model.TrainingHistory, r => Assert.Null(r.ValidationScore));
    }

    /// <summary>
    /// With early stopping the scores are those it decided on: the model keeps the weights of the best-scoring epoch (its
    /// accuracy on the validation rows is the highest score), and it stopped after NumberOfEpochsWithoutImprovement + 1
    /// epochs scoring below the best (Tolerance 0).
    /// </summary>
    [Fact]
    public void EarlyStoppingDecidesOnTheReportedScores()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = MLData.ThreeClasses(ml, 90, seed: 1), valid = MLData.ThreeClasses(ml, 60, seed: 7);
        var map = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        (train, valid) = (map.Transform(train), map.Transform(valid));
        const int patience = 2;
        var options = new BackpropTrainer.Options
        {
            HiddenLayerSizes = [2],
            MaximumNumberOfEpochs = 300,
            LearningRate = 0.05,
            BatchSize = 10,
            EarlyStopping = true,
            NumberOfEpochsWithoutImprovement = patience,
            Tolerance = 0,
            Seed = 8,
        };

        BackpropTransformer model = ml.MulticlassClassification.Trainers.Backprop(options).Fit(train, valid);

        TrainingHistory history = model.Model.TrainingHistory;
        Assert.Equal(TrainingStopReason.EarlyStopped, history.StopReason);
        double[] scores = history.Select(r => r.ValidationScore!.Value).ToArray();
        double best = scores.Max();
        uint[] predicted = model.Transform(valid).GetColumn<uint>("PredictedLabel").ToArray();
        uint[] labels = valid.GetColumn<uint>("Label").ToArray();
        Assert.Equal(best, predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length);
        for (int i = scores.Length - patience - 1; i < scores.Length; i++)
        {
            Assert.True(scores[i] < scores[..i].Max(), $"epoch {i + 1} scored {scores[i]}, the best before it {scores[..i].Max()}: no reason to stop");
        }
    }

    [Fact]
    public void TheScoresAreSavedWithTheHistory()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = MLData.Wave(ml, 60, seed: 1), valid = MLData.Wave(ml, 30, seed: 2);
        var options = new BackpropTrainer.Options { HiddenLayerSizes = [4], MaximumNumberOfEpochs = 5, Seed = 6 };
        BackpropTransformer model = new BackpropTrainer(ml, options).Fit(train, valid);
        string path = Path.Combine(_directory, "model.zip");
        ml.Model.Save(model, train.Schema, path);

        var loaded = (BackpropTransformer)new MLContext().Model.Load(path, out _);

        Assert.All(loaded.Model.TrainingHistory, r => Assert.NotNull(r.ValidationScore));
        Assert.Equal(model.Model.TrainingHistory, loaded.Model.TrainingHistory); // every field of every report
        Assert.Equal(model.Model.TrainingHistory.StopReason, loaded.Model.TrainingHistory.StopReason);
    }
}
