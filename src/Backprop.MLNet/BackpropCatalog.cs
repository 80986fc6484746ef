using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet;

/// <summary>
/// Creates <see cref="BackpropTrainer"/>s from ML.NET's trainer catalogs, with the task set:
/// <c>mlContext.BinaryClassification.Trainers.Backprop(...)</c>, <c>mlContext.MulticlassClassification.Trainers.Backprop(...)</c>,
/// <c>mlContext.Regression.Trainers.Backprop(...)</c>.
/// </summary>
public static class BackpropCatalog
{
    /// <summary>A binary classifier: a network with one sigmoid output trained on log loss.</summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="labelColumnName">The label column, of type Boolean.</param>
    /// <param name="featureColumnName">The feature column, a known-size vector of Single.</param>
    /// <param name="hiddenLayerSizes">The width of each hidden layer (default { 100 }).</param>
    /// <param name="learningRate">The initial step size (default 0.001).</param>
    /// <param name="maximumNumberOfEpochs">The most passes over the data (default 200).</param>
    /// <returns>The trainer.</returns>
    /// <example><code>
    /// // Raw columns on any scale: the trainer standardises the features itself.
    /// var pipeline = mlContext.Transforms.Concatenate("Features", "Age", "Income", "Balance")
    ///     .Append(mlContext.BinaryClassification.Trainers.Backprop(hiddenLayerSizes: new[] { 32 }));
    /// </code></example>
    public static BackpropTrainer Backprop(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = BackpropTrainer.Defaults.LabelColumnName, string featureColumnName = BackpropTrainer.Defaults.FeatureColumnName,
        int[]? hiddenLayerSizes = null, double learningRate = BackpropTrainer.Defaults.LearningRate,
        int maximumNumberOfEpochs = BackpropTrainer.Defaults.MaximumNumberOfEpochs) =>
        Create(catalog, BackpropTask.BinaryClassification, labelColumnName, featureColumnName, hiddenLayerSizes, learningRate, maximumNumberOfEpochs);

    /// <summary>A binary classifier with all options; <see cref="BackpropTrainer.Options.Task"/> is set to binary classification.</summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="options">The options (copied).</param>
    /// <returns>The trainer.</returns>
    public static BackpropTrainer Backprop(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, BackpropTrainer.Options options) =>
        Create(catalog, BackpropTask.BinaryClassification, options);

    /// <summary>A multiclass classifier: a network with K softmax outputs trained on cross-entropy.</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="labelColumnName">The label column, of a key type (use MapValueToKey).</param>
    /// <param name="featureColumnName">The feature column, a known-size vector of Single.</param>
    /// <param name="hiddenLayerSizes">The width of each hidden layer (default { 100 }).</param>
    /// <param name="learningRate">The initial step size (default 0.001).</param>
    /// <param name="maximumNumberOfEpochs">The most passes over the data (default 200).</param>
    /// <returns>The trainer.</returns>
    /// <example><code>
    /// // Text: FeaturizeText makes sparse n-gram features, which the trainer keeps sparse.
    /// var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    ///     .Append(mlContext.Transforms.Text.FeaturizeText("Features", "Description"))
    ///     .Append(mlContext.MulticlassClassification.Trainers.Backprop(hiddenLayerSizes: new[] { 64 }))
    ///     .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
    /// </code></example>
    public static BackpropTrainer Backprop(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = BackpropTrainer.Defaults.LabelColumnName, string featureColumnName = BackpropTrainer.Defaults.FeatureColumnName,
        int[]? hiddenLayerSizes = null, double learningRate = BackpropTrainer.Defaults.LearningRate,
        int maximumNumberOfEpochs = BackpropTrainer.Defaults.MaximumNumberOfEpochs) =>
        Create(catalog, BackpropTask.MulticlassClassification, labelColumnName, featureColumnName, hiddenLayerSizes, learningRate, maximumNumberOfEpochs);

    /// <summary>A multiclass classifier with all options; <see cref="BackpropTrainer.Options.Task"/> is set to multiclass classification.</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="options">The options (copied).</param>
    /// <returns>The trainer.</returns>
    public static BackpropTrainer Backprop(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, BackpropTrainer.Options options) =>
        Create(catalog, BackpropTask.MulticlassClassification, options);

    /// <summary>A regressor: a network with an identity output trained on squared error.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">The label column, Single or Double.</param>
    /// <param name="featureColumnName">The feature column, a known-size vector of Single.</param>
    /// <param name="hiddenLayerSizes">The width of each hidden layer (default { 100 }).</param>
    /// <param name="learningRate">The initial step size (default 0.001).</param>
    /// <param name="maximumNumberOfEpochs">The most passes over the data (default 200).</param>
    /// <returns>The trainer.</returns>
    /// <example><code>
    /// var pipeline = mlContext.Transforms.Categorical.OneHotEncoding("Region")
    ///     .Append(mlContext.Transforms.Concatenate("Features", "Region", "Rooms", "Area"))
    ///     .Append(mlContext.Regression.Trainers.Backprop(hiddenLayerSizes: new[] { 64, 32 }));
    /// </code></example>
    public static BackpropTrainer Backprop(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = BackpropTrainer.Defaults.LabelColumnName, string featureColumnName = BackpropTrainer.Defaults.FeatureColumnName,
        int[]? hiddenLayerSizes = null, double learningRate = BackpropTrainer.Defaults.LearningRate,
        int maximumNumberOfEpochs = BackpropTrainer.Defaults.MaximumNumberOfEpochs) =>
        Create(catalog, BackpropTask.Regression, labelColumnName, featureColumnName, hiddenLayerSizes, learningRate, maximumNumberOfEpochs);

    /// <summary>A regressor with all options; <see cref="BackpropTrainer.Options.Task"/> is set to regression.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="options">The options (copied).</param>
    /// <returns>The trainer.</returns>
    public static BackpropTrainer Backprop(this RegressionCatalog.RegressionTrainers catalog, BackpropTrainer.Options options) =>
        Create(catalog, BackpropTask.Regression, options);

    private static BackpropTrainer Create(TrainCatalogBase.CatalogInstantiatorBase catalog, BackpropTask task,
        string labelColumnName, string featureColumnName, int[]? hiddenLayerSizes, double learningRate, int maximumNumberOfEpochs) =>
        Create(catalog, task, new BackpropTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            HiddenLayerSizes = hiddenLayerSizes ?? BackpropTrainer.Defaults.HiddenLayerSizes,
            LearningRate = learningRate,
            MaximumNumberOfEpochs = maximumNumberOfEpochs,
        });

    private static BackpropTrainer Create(TrainCatalogBase.CatalogInstantiatorBase catalog, BackpropTask task, BackpropTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        var copy = options.Clone();
        copy.Task = task;
        // The catalog's environment is the MLContext's own (an internal interface gives it out).
        return new BackpropTrainer(catalog.GetEnvironment(), copy);
    }
}
