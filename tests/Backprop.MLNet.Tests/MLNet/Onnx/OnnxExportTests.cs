using Backprop.MLNet.Tests.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace Backprop.MLNet.Tests.MLNet.Onnx;

/// <summary>
/// mlContext.Model.ConvertToOnnx (Microsoft.ML.OnnxConverter) of whole pipelines ending in the trainer, for every task;
/// the ONNX model is run by ONNX Runtime on the same rows and must give ML.NET's scores and probabilities to 1e-5
/// and exactly its predicted labels.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<Activation> Activations => new()
    {
        Activation.Identity, Activation.Sigmoid, Activation.Tanh, Activation.Relu, Activation.LeakyRelu, Activation.Gelu,
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void BinaryScoreProbabilityAndPredictedLabelMatchOnnxRuntime(Activation activation)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = MLData.Blobs(ml, 200, seed: 4);
        var pipeline = ml.Transforms.NormalizeMeanVariance("Features")
            .Append(ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
            {
                HiddenLayerSizes = [8, 5],
                Activation = activation,
                LearningRate = 0.01,
                MaximumNumberOfEpochs = 40,
            }));
        ITransformer model = pipeline.Fit(data);
        IDataView scored = model.Transform(data);

        var onnx = RunOnnx(ml, model, data);

        AssertClose("Score", scored.GetColumn<float>("Score").ToArray(), onnx.Floats("Score"));
        AssertClose("Probability", scored.GetColumn<float>("Probability").ToArray(), onnx.Floats("Probability"));
        bool[] predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        Assert.Equal(predicted, onnx.Values<bool>("PredictedLabel"));
        Assert.Contains(true, predicted);
        Assert.Contains(false, predicted);
    }

    /// <summary>
    /// A model trained on sparse rows (first layer trained transposed on the non-zeros, standardisation folded) exports like any
    /// other: the exported graph reads the features dense and agrees with ML.NET.
    /// </summary>
    [Fact]
    public void SparseTrainedStandardisedModelMatchesOnnxRuntime()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 300).Select(_ =>
        {
            int signal = random.Next(20);
            int[] indices = Enumerable.Range(0, 5).Select(_ => 20 + random.Next(480)).Append(signal).Distinct().Order().ToArray();
            float[] values = indices.Select(_ => (float)(0.5 + random.NextDouble())).ToArray();
            return new FeatureStorageTests.SparseRow { Features = new VBuffer<float>(FeatureStorageTests.Width, indices.Length, values, indices), Label = signal < 10 };
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        BackpropTransformer model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [6],
            MaximumNumberOfEpochs = 10,
            FeatureStorage = FeatureStorage.Sparse,
        }).Fit(data);
        Assert.NotNull(model.Model.FeatureMean);
        IDataView scored = model.Transform(data);

        var onnx = RunOnnx(ml, model, data);

        AssertClose("Score", scored.GetColumn<float>("Score").ToArray(), onnx.Floats("Score"));
        AssertClose("Probability", scored.GetColumn<float>("Probability").ToArray(), onnx.Floats("Probability"));
        Assert.Equal(scored.GetColumn<bool>("PredictedLabel").ToArray(), onnx.Values<bool>("PredictedLabel"));
    }

    [Fact]
    public void BinaryOnTheBreastCancerCsvMatchesOnnxRuntime()
    {
        var ml = new MLContext(seed: 2);
        IDataView data = MLData.BreastCancer(ml);
        var pipeline = ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.BinaryClassification.Trainers.Backprop(hiddenLayerSizes: [32, 16], learningRate: 0.01, maximumNumberOfEpochs: 30));
        ITransformer model = pipeline.Fit(data);
        IDataView scored = model.Transform(data);

        var onnx = RunOnnx(ml, model, data);

        AssertClose("Score", scored.GetColumn<float>("Score").ToArray(), onnx.Floats("Score"));
        AssertClose("Probability", scored.GetColumn<float>("Probability").ToArray(), onnx.Floats("Probability"));
        Assert.Equal(scored.GetColumn<bool>("PredictedLabel").ToArray(), onnx.Values<bool>("PredictedLabel"));
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void MulticlassWithKeyMappingBothWaysMatchesOnnxRuntime(Activation activation)
    {
        var ml = new MLContext(seed: 3);
        IDataView data = MLData.ThreeClasses(ml, 150, seed: 5);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.Backprop(new BackpropTrainer.Options
            {
                HiddenLayerSizes = [6],
                Activation = activation,
                LearningRate = 0.02,
                BatchSize = 16,
                MaximumNumberOfEpochs = 40,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        ITransformer model = pipeline.Fit(data);
        IDataView scored = model.Transform(data);

        var onnx = RunOnnx(ml, model, data);

        float[] expected = scored.GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        AssertClose("Score", expected, onnx.Floats("Score"));
        string[] predicted = scored.GetColumn<string>("PredictedLabel").ToArray();
        Assert.Equal(predicted, onnx.Values<string>("PredictedLabel"));
        Assert.Equal(3, predicted.Distinct().Count());
    }

    [Fact]
    public void MulticlassWithTenClassesAndTwoHiddenLayersMatchesOnnxRuntime()
    {
        var ml = new MLContext(seed: 4);
        IDataView data = MLData.Digits(ml);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.Backprop(hiddenLayerSizes: [32, 16], learningRate: 0.01, maximumNumberOfEpochs: 10))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        ITransformer model = pipeline.Fit(data);
        IDataView scored = model.Transform(data);

        var onnx = RunOnnx(ml, model, data);

        AssertClose("Score", scored.GetColumn<float[]>("Score").SelectMany(s => s).ToArray(), onnx.Floats("Score"));
        Assert.Equal(scored.GetColumn<float>("PredictedLabel").ToArray(), onnx.Values<float>("PredictedLabel"));
    }

    [Theory]
    [InlineData(true, Activation.Tanh)]
    [InlineData(true, Activation.Relu)]
    [InlineData(false, Activation.Sigmoid)]
    [InlineData(false, Activation.LeakyRelu)]
    public void RegressionScoreMatchesOnnxRuntime(bool standardizeLabel, Activation activation)
    {
        var ml = new MLContext(seed: 5);
        IDataView data = MLData.Wave(ml, 200, seed: 6);
        var pipeline = ml.Transforms.NormalizeMeanVariance("Features")
            .Append(ml.Regression.Trainers.Backprop(new BackpropTrainer.Options
            {
                HiddenLayerSizes = [10, 6],
                Activation = activation,
                LearningRate = 0.01,
                MaximumNumberOfEpochs = 40,
                StandardizeRegressionLabel = standardizeLabel,
            }));
        ITransformer model = pipeline.Fit(data);
        Assert.Equal(standardizeLabel, SaveLoadTests.TrainerStage(model).Model.LabelMean is not null);
        IDataView scored = model.Transform(data);

        var onnx = RunOnnx(ml, model, data);

        AssertClose("Score", scored.GetColumn<float>("Score").ToArray(), onnx.Floats("Score"));
    }

    [Fact]
    public void RegressionInLabelUnitsOnTheDiabetesCsvMatchesOnnxRuntime()
    {
        // Labels 25–346 (mean 152, sd 77): the de-standardisation is exercised with a scale far from 1. Float spacing
        // at 256 is 3e-5, so scores are compared relative to the label's size there: |Δ| ≤ 1e-5 · max(1, |score|).
        var ml = new MLContext(seed: 6);
        IDataView data = MLData.Diabetes(ml);
        var pipeline = ml.Transforms.NormalizeMeanVariance("Features")
            .Append(ml.Regression.Trainers.Backprop(hiddenLayerSizes: [16], learningRate: 0.01, maximumNumberOfEpochs: 30));
        ITransformer model = pipeline.Fit(data);
        IDataView scored = model.Transform(data);

        var onnx = RunOnnx(ml, model, data);

        float[] expected = scored.GetColumn<float>("Score").ToArray();
        float[] actual = onnx.Floats("Score");
        Assert.Equal(expected.Length, actual.Length);
        double relative = expected.Zip(actual, (e, a) => Math.Abs(e - a) / Math.Max(1.0, Math.Abs(e))).Max();
        output.WriteLine($"Score (label units): max relative difference {relative:E2}, max absolute {MaxAbsoluteDifference(expected, actual):E2}");
        Assert.True(relative <= Tolerance, $"Score: relative difference {relative:E2} > {Tolerance:E0}");
    }

    private sealed class TwoTargets
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        [VectorType(2)] public float[] Label { get; set; } = [];
    }

    [Fact]
    public void MultiOutputRegressionScoreVectorMatchesOnnxRuntime()
    {
        var ml = new MLContext(seed: 7);
        var random = new Random(7);
        var rows = Enumerable.Range(0, 150).Select(_ =>
        {
            float a = (float)random.NextDouble() * 2 - 1, b = (float)random.NextDouble() * 2 - 1;
            return new TwoTargets { Features = [a, b], Label = [a + b, 3 * a * b - 1] };
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Regression.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [12], LearningRate = 0.01, MaximumNumberOfEpochs = 40 });
        ITransformer model = pipeline.Fit(data);
        Assert.Equal(2, ((BackpropTransformer)model).Model.OutputSize);
        IDataView scored = model.Transform(data);

        var onnx = RunOnnx(ml, model, data);

        Assert.Equal([rows.Length, 2], onnx.Dimensions("Score"));
        AssertClose("Score", scored.GetColumn<float[]>("Score").SelectMany(s => s).ToArray(), onnx.Floats("Score"));
    }

    /// <summary>
    /// Multilabel: Score (the logits), Probability (their sigmoids) and PredictedLabel (Score &gt; 0, a Boolean per label) come
    /// out of ONNX Runtime as [rows × 3] tensors with ML.NET's values, through standard Sigmoid and Greater operators.
    /// </summary>
    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Gelu)]
    public void MultilabelScoreProbabilityAndPredictedLabelMatchOnnxRuntime(Activation activation)
    {
        var ml = new MLContext(seed: 9);
        IDataView data = MLData.ThreeLabels(ml, 300, seed: 10);
        var pipeline = ml.Transforms.NormalizeMeanVariance("Features")
            .Append(new BackpropTrainer(ml, new BackpropTrainer.Options
            {
                HiddenLayerSizes = [12, 6],
                Activation = activation,
                LearningRate = 0.01,
                MaximumNumberOfEpochs = 40,
            }));
        ITransformer model = pipeline.Fit(data);
        IDataView scored = model.Transform(data);

        var onnx = RunOnnx(ml, model, data);

        foreach (string column in new[] { "Score", "Probability", "PredictedLabel" })
        {
            Assert.Equal([300, 3], onnx.Dimensions(column));
        }

        AssertClose("Score", scored.GetColumn<float[]>("Score").SelectMany(s => s).ToArray(), onnx.Floats("Score"));
        AssertClose("Probability", scored.GetColumn<float[]>("Probability").SelectMany(s => s).ToArray(), onnx.Floats("Probability"));
        bool[] predicted = scored.GetColumn<bool[]>("PredictedLabel").SelectMany(s => s).ToArray();
        Assert.Equal(predicted, onnx.Values<bool>("PredictedLabel"));
        Assert.Contains(true, predicted);
        Assert.Contains(false, predicted);

        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, data, stream);
        OnnxGraph graph = OnnxGraph.Parse(stream.ToArray());
        Assert.Single(graph.Nodes, n => n.OpType == "Greater");
        Assert.Contains(graph.Nodes, n => n.OpType == "Sigmoid");
        Assert.All(graph.Nodes.Where(n => n.OpType is "Gemm" or "Sigmoid" or "Greater"), n => Assert.Equal("", n.Domain));
    }

    [Fact]
    public void GraphIsStandardGemmAndActivationOperatorsWithTheWeightsAsInitializers()
    {
        var ml = new MLContext(seed: 8);
        IDataView data = MLData.Blobs(ml, 100, seed: 9);
        var trainer = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [8, 5],
            Activation = Activation.LeakyRelu,
            MaximumNumberOfEpochs = 5,
        });
        BackpropTransformer model = trainer.Fit(data);
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, data, stream);

        OnnxGraph graph = OnnxGraph.Parse(stream.ToArray());

        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == "Gemm"));
        Assert.Equal(2, graph.Nodes.Count(n => n.OpType == "LeakyRelu"));
        Assert.All(graph.Nodes.Where(n => n.OpType == "LeakyRelu"), n => Assert.Equal(0.01f, n.FloatAttributes["alpha"]));
        Assert.Single(graph.Nodes, n => n.OpType == "Sigmoid");
        Assert.All(graph.Nodes.Where(n => n.OpType is "Gemm" or "LeakyRelu" or "Sigmoid"), n => Assert.Equal("", n.Domain));
        for (int layer = 0; layer < model.Model.LayerCount; layer++)
        {
            Assert.Equal(model.Model.GetWeights(layer), graph.Initializers[$"BackpropW{layer}"]);
            Assert.Equal(model.Model.GetBiases(layer), graph.Initializers[$"BackpropB{layer}"]);
        }
    }

    /// <summary>
    /// What README's ONNX notes say: exported with the training data, every column of it is a required input (Label
    /// included); exported with a new view holding the features alone, Features is the only input and the graph still
    /// gives ML.NET's probabilities; a multiclass graph has the extra output mlnet.Score.unusedOutput.
    /// </summary>
    [Fact]
    public void AFeaturesOnlyViewExportsAGraphWhoseOnlyInputIsTheFeatures()
    {
        var ml = new MLContext(seed: 2);
        IDataView data = MLData.Blobs(ml, 120, seed: 6);
        int width = ((VectorDataViewType)data.Schema["Features"].Type).Size;
        ITransformer model = ml.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [6], MaximumNumberOfEpochs = 10 }).Fit(data);
        float[][] features = data.GetColumn<float[]>("Features").ToArray();
        IDataView featuresOnly = ml.Data.LoadFromEnumerable(
            features.Select(f => new FeaturesOnly { Features = f }), SchemaWithWidth(width));

        string[] withData = InputNames(ml, model, data), withFeatures = InputNames(ml, model, featuresOnly);

        Assert.Contains("Label", withData);
        Assert.Equal(["Features"], withFeatures);
        AssertClose("Probability", model.Transform(data).GetColumn<float>("Probability").ToArray(), RunOnnx(ml, model, featuresOnly).Floats("Probability"));

        IDataView classes = MLData.ThreeClasses(ml, 90, seed: 1);
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(classes).Transform(classes);
        ITransformer multiclass = ml.MulticlassClassification.Trainers.Backprop(new BackpropTrainer.Options { HiddenLayerSizes = [4], MaximumNumberOfEpochs = 5 }).Fit(keyed);
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(multiclass, keyed, stream);
        using var session = new InferenceSession(stream.ToArray());
        Assert.Contains("mlnet.Score.unusedOutput", session.OutputMetadata.Keys);
    }

    private static string[] InputNames(MLContext ml, ITransformer model, IDataView data)
    {
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, data, stream);
        using var session = new InferenceSession(stream.ToArray());
        return [.. session.InputMetadata.Keys.Order()];
    }

    private static SchemaDefinition SchemaWithWidth(int width)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(FeaturesOnly));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return schema;
    }

    private sealed class FeaturesOnly
    {
        public float[] Features { get; set; } = [];
    }

    // ---- Helpers ------------------------------------------------------------------------------------------

    private void AssertClose(string column, float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = MaxAbsoluteDifference(expected, actual);
        output.WriteLine($"{column}: max absolute difference {difference:E2} over {expected.Length} values");
        Assert.True(difference <= Tolerance, $"{column}: max absolute difference {difference:E2} > {Tolerance:E0}");
    }

    private static double MaxAbsoluteDifference(float[] expected, float[] actual) =>
        expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).DefaultIfEmpty(0).Max();

    /// <summary>Exports <paramref name="model"/> to ONNX and runs it with ONNX Runtime on every row of <paramref name="data"/>.</summary>
    private static OnnxOutputs RunOnnx(MLContext ml, ITransformer model, IDataView data)
    {
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, data, stream);

        using var session = new InferenceSession(stream.ToArray());
        var inputs = session.InputMetadata.Keys.Select(name => Input(data, name)).ToList();
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
        return new OnnxOutputs(results.ToDictionary(r => r.Name, r => Copy(r)));
    }

    /// <summary>A column of the data as an ONNX input tensor [rows × width] (ML.NET's ONNX graphs take a batch of rows).</summary>
    private static NamedOnnxValue Input(IDataView data, string name)
    {
        DataViewType type = data.Schema[name].Type;
        if (type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single)
        {
            float[][] rows = data.GetColumn<float[]>(name).ToArray();
            return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(rows.SelectMany(r => r).ToArray(), [rows.Length, vector.Size]));
        }

        if (type is VectorDataViewType { ItemType: BooleanDataViewType } booleans)
        {
            bool[][] rows = data.GetColumn<bool[]>(name).ToArray();
            return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(rows.SelectMany(r => r).ToArray(), [rows.Length, booleans.Size]));
        }

        if (type == NumberDataViewType.Single)
        {
            return Column<float>(data, name);
        }

        if (type == BooleanDataViewType.Instance)
        {
            return Column<bool>(data, name);
        }

        if (type == TextDataViewType.Instance)
        {
            return Column<string>(data, name);
        }

        throw new NotSupportedException($"Column {name} of type {type}");
    }

    private static NamedOnnxValue Column<T>(IDataView data, string name)
    {
        T[] values = data.GetColumn<T>(name).ToArray();
        return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<T>(values, [values.Length, 1]));
    }

    private static (Array Values, int[] Dimensions) Copy(DisposableNamedOnnxValue value) => value.ElementType switch
    {
        TensorElementType.Float => (value.AsTensor<float>().ToArray(), value.AsTensor<float>().Dimensions.ToArray()),
        TensorElementType.Bool => (value.AsTensor<bool>().ToArray(), value.AsTensor<bool>().Dimensions.ToArray()),
        TensorElementType.String => (value.AsTensor<string>().ToArray(), value.AsTensor<string>().Dimensions.ToArray()),
        TensorElementType.UInt32 => (value.AsTensor<uint>().ToArray(), value.AsTensor<uint>().Dimensions.ToArray()),
        TensorElementType.Int64 => (value.AsTensor<long>().ToArray(), value.AsTensor<long>().Dimensions.ToArray()),
        _ => (Array.Empty<object>(), []),
    };

    /// <summary>ONNX Runtime's results by ML.NET column name (the converter names graph outputs "column.output").</summary>
    private sealed class OnnxOutputs(Dictionary<string, (Array Values, int[] Dimensions)> results)
    {
        public float[] Floats(string column) => Values<float>(column);

        public T[] Values<T>(string column) => (T[])Get(column).Values;

        public int[] Dimensions(string column) => Get(column).Dimensions;

        private (Array Values, int[] Dimensions) Get(string column) =>
            results.TryGetValue(column + ".output", out var result)
                ? result
                : throw new KeyNotFoundException($"No ONNX output for {column}; outputs: {string.Join(", ", results.Keys)}");
    }
}
