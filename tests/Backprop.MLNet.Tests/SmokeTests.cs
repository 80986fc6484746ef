using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests;

public class SmokeTests
{
    [Fact]
    public void BinaryTrainsEvaluatesSavesAndLoads()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = MLData.Blobs(ml, 400, seed: 3);
        var trainer = ml.BinaryClassification.Trainers.Backprop(hiddenLayerSizes: [8], learningRate: 0.01, maximumNumberOfEpochs: 50);
        var model = trainer.Fit(data);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(data));
        Assert.True(metrics.Accuracy > 0.9, $"accuracy {metrics.Accuracy}");

        string path = Path.Combine(Path.GetTempPath(), $"bp-smoke-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, data.Schema, path);
        var loaded = new MLContext().Model.Load(path, out _);
        var a = model.Transform(data).GetColumn<float>("Score").ToArray();
        var b = loaded.Transform(data).GetColumn<float>("Score").ToArray();
        Assert.Equal(a, b);
        File.Delete(path);
    }
}
