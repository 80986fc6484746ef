namespace Backprop.MLNet;

public sealed partial class BackpropTrainer
{
    /// <summary>
    /// The default of every option, in one place (ML.NET's convention): <see cref="Options"/>' initialisers, the catalog
    /// overloads' optional parameters and the short constructor all read these. They are scikit-learn's
    /// <c>MLPClassifier</c>/<c>MLPRegressor</c> defaults wherever it has one.
    /// </summary>
    internal static class Defaults
    {
        public const string LabelColumnName = "Label";
        public const string FeatureColumnName = "Features";
        public const int HiddenLayerSize = 100;
        public const Activation HiddenActivation = Activation.Relu;
        public const Solver Optimizer = Solver.Adam;
        public const double LearningRate = 0.001;
        public const LearningRateSchedule Schedule = LearningRateSchedule.Constant;
        public const double PowerT = 0.5;
        public const double Momentum = 0.9;
        public const bool UseNesterovMomentum = true;
        public const double Beta1 = 0.9;
        public const double Beta2 = 0.999;
        public const double Epsilon = 1e-8;
        public const double L2Regularization = 1e-4;
        public const int BatchSize = 200;
        public const int MaximumNumberOfEpochs = 200;
        public const int MaximumNumberOfLossEvaluations = 15000;
        public const bool Shuffle = true;
        public const double Tolerance = 1e-4;
        public const int NumberOfEpochsWithoutImprovement = 10;
        public const double ValidationFraction = 0.1;
        public const bool StandardizeRegressionLabel = true;
        public const bool StandardizeFeatures = true;
        public const FeatureStorage Storage = FeatureStorage.Auto;
        public const bool LazySparseUpdates = true;
        public const DataCaching Caching = DataCaching.Auto;
        public const bool KeepOptimizerState = true;

        /// <summary>One hidden layer of <see cref="HiddenLayerSize"/> units (a new array each time: options own theirs).</summary>
        public static int[] HiddenLayerSizes => [HiddenLayerSize];
    }
}
