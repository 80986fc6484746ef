using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests;

/// <summary>README's multilabel section, as it stands there: the snippet and the per-label evaluation helper.</summary>
public sealed partial class MultilabelTests
{
    private sealed class Article
    {
        public float Length { get; set; }
        public float Links { get; set; }
        public float Images { get; set; }
        public float Hour { get; set; }
        public bool IsSports { get; set; }
        public bool IsPolitics { get; set; }
        public bool IsTech { get; set; }
    }

    private sealed class Tags
    {
        public bool[] PredictedLabel { get; set; } = [];
        public float[] Probability { get; set; } = [];
        public float[] Score { get; set; } = [];
    }

    private static Article[] Articles(int rows, int seed) => MLData.ThreeLabelRows(rows, seed).Select(r => new Article
    {
        Length = r.Features[0],
        Links = r.Features[1],
        Images = r.Features[2],
        Hour = r.Features[3],
        IsSports = r.Label[0],
        IsPolitics = r.Label[1],
        IsTech = r.Label[2],
    }).ToArray();

    /// <summary>
    /// README's snippet and evaluation helper, verbatim but for the data: three Boolean columns concatenated into the label
    /// train a multilabel model, the PredictionEngine class reads it, and the helper's per-label binary metrics agree with
    /// the per-label accuracies counted from PredictedLabel (and pass the learning test's bar, with AUC ≥ 0.99; measured
    /// 0.998–1.000), as does its subset-accuracy line.
    /// </summary>
    [Fact]
    public void TheReadmeSnippetAndItsPerLabelEvaluationWork()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView trainData = mlContext.Data.LoadFromEnumerable(Articles(2000, seed: 101)), testData = mlContext.Data.LoadFromEnumerable(Articles(1000, seed: 201));
        var pipeline = mlContext.Transforms.Concatenate("Label", "IsSports", "IsPolitics", "IsTech")
            .Append(mlContext.Transforms.Concatenate("Features", "Length", "Links", "Images", "Hour"))
            .Append(new BackpropTrainer(mlContext, new BackpropTrainer.Options { HiddenLayerSizes = new[] { 32 } }));
        var model = pipeline.Fit(trainData);
        Assert.Equal(BackpropTask.MultilabelClassification, model.LastTransformer.Model.Task);

        var engine = mlContext.Model.CreatePredictionEngine<Article, Tags>(model);
        Tags tags = engine.Predict(Articles(1, seed: 201)[0]);
        Assert.Equal(3, tags.PredictedLabel.Length);

        BinaryClassificationMetrics[] perLabel = EvaluateEachLabel(mlContext, model.Transform(testData));

        Assert.Equal(3, perLabel.Length);
        ScoredRow[] rows = mlContext.Data.CreateEnumerable<ScoredRow>(model.Transform(testData), reuseRowObject: false).ToArray();
        for (int i = 0; i < perLabel.Length; i++)
        {
            output.WriteLine($"label {i}: accuracy {perLabel[i].Accuracy:F3}, AUC {perLabel[i].AreaUnderRocCurve:F3}, F1 {perLabel[i].F1Score:F3}");
            double counted = rows.Average(r => r.Label[i] == r.PredictedLabel[i] ? 1.0 : 0.0);
            Assert.Equal(counted, perLabel[i].Accuracy, 12);
            Assert.True(perLabel[i].Accuracy >= 0.95, $"label {i}: accuracy {perLabel[i].Accuracy:F4}");
            Assert.True(perLabel[i].AreaUnderRocCurve >= 0.99, $"label {i}: AUC {perLabel[i].AreaUnderRocCurve:F4}");
        }

        double subset = rows.Average(r => r.Label.SequenceEqual(r.PredictedLabel) ? 1.0 : 0.0);
        output.WriteLine($"subset accuracy {subset:F4}");
        Assert.True(subset >= 0.92 && subset <= perLabel.Min(m => m.Accuracy), $"subset accuracy {subset:F4}");
    }

    static BinaryClassificationMetrics[] EvaluateEachLabel(MLContext mlContext, IDataView scored)
    {
        ScoredRow[] rows = mlContext.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).ToArray();
        return Enumerable.Range(0, rows[0].Label.Length)
            .Select(i => mlContext.BinaryClassification.Evaluate(mlContext.Data.LoadFromEnumerable(rows.Select(r => new OneLabel
            {
                Label = r.Label[i],
                Score = r.Score[i],
                Probability = r.Probability[i],
                PredictedLabel = r.PredictedLabel[i],
            }))))
            .ToArray();
    }

    class ScoredRow
    {
        public bool[] Label { get; set; } = [];
        public float[] Score { get; set; } = [];
        public float[] Probability { get; set; } = [];
        public bool[] PredictedLabel { get; set; } = [];
    }

    class OneLabel
    {
        public bool Label { get; set; }
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }
}
