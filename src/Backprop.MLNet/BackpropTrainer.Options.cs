using Backprop.MLNet.MLNet;

namespace Backprop.MLNet;

public sealed partial class BackpropTrainer
{
    /// <summary>
    /// Options for <see cref="BackpropTrainer"/>. Names follow ML.NET; meanings and defaults follow
    /// scikit-learn's <c>MLPClassifier</c>/<c>MLPRegressor</c> (each option names its scikit-learn equivalent).
    /// Options are checked when the trainer is created; an invalid value throws
    /// <see cref="ArgumentOutOfRangeException"/> naming the option and the value.
    /// </summary>
    public sealed class Options
    {
        /// <summary>The label column.</summary>
        /// <value>
        /// Default "Label". Boolean for binary classification, a key type for multiclass, a known-size vector of Boolean for
        /// multilabel, Single or Double (or a known-size vector of Single) for regression.
        /// </value>
        public string LabelColumnName { get; set; } = Defaults.LabelColumnName;

        /// <summary>The feature column.</summary>
        /// <value>Default "Features". A known-size vector of Single.</value>
        public string FeatureColumnName { get; set; } = Defaults.FeatureColumnName;

        /// <summary>The example-weight column, or null for equal weights (scikit-learn: <c>sample_weight</c> in <c>fit</c>).</summary>
        /// <value>
        /// Default null. A Single column; each row's loss and gradient are multiplied by its weight (a weight of 2 counts
        /// like the row twice), and the validation loss is weighted too. Rows with a negative or NaN weight are skipped.
        /// </value>
        public string? ExampleWeightColumnName { get; set; }

        /// <summary>Per-class weights for classification (scikit-learn's <c>class_weight</c> of its other classifiers).</summary>
        /// <value>
        /// Default null: all classes weigh 1. <see cref="Backprop.MLNet.ClassWeights.Balanced"/> or explicit weights; binary and
        /// multiclass classification only (not regression, not multilabel, where a row has no single class: weigh rows with
        /// <see cref="ExampleWeightColumnName"/> instead).
        /// </value>
        public ClassWeights? ClassWeights { get; set; }

        /// <summary>
        /// For regression: train on the label standardised to mean 0 and variance 1 (measured on the training rows and
        /// stored in the model) and map <c>Score</c> back, so default options work on targets of any scale
        /// (scikit-learn leaves this to the user, with <c>TransformedTargetRegressor</c>).
        /// </summary>
        /// <value>Default true. The reported losses are then in standardised units.</value>
        public bool StandardizeRegressionLabel { get; set; } = Defaults.StandardizeRegressionLabel;

        /// <summary>
        /// Whether each feature is standardised to mean 0 and variance 1 inside the trainer (scikit-learn: a
        /// <c>StandardScaler</c> before the network in a <c>Pipeline</c>). The mean and standard deviation are learned from the
        /// training rows in the reading pass (weighted by the example weights when given), the network is trained on
        /// standardised inputs, and the transform is folded into the first layer when training ends, so the model scores raw
        /// features and <see cref="BackpropModelParameters.GetWeights"/> and ONNX export need nothing extra. A constant feature is
        /// left as it is. A feature that is non-zero in fewer than a tenth of the rows (a word, a rare category) is not centred,
        /// and is scaled by at most what would bring a feature of its size present in a tenth of the rows to unit variance,
        /// rather than blown up by 1/√(its frequency). Sparse features stay sparse: they are scaled, and the centring of the
        /// frequent ones is folded into the first layer's bias.
        /// </summary>
        /// <value>
        /// Default true: raw columns on any scale, and ML.NET's <c>NormalizeMeanVariance</c> (which scales without centring), train
        /// as well as standardised ones. Set false only to train on features exactly as given (a warning goes to the log when
        /// their scales differ by orders of magnitude). A warm start keeps its initial model's standardisation.
        /// </value>
        public bool StandardizeFeatures { get; set; } = Defaults.StandardizeFeatures;

        /// <summary>How the training rows' features are held in memory (no scikit-learn equivalent: it takes scipy sparse matrices as they come).</summary>
        /// <value>
        /// Default <see cref="FeatureStorage.Auto"/>: sparse when at most a quarter of the feature values are non-zero
        /// (text from <c>FeaturizeText</c>, one-hot encodings), dense otherwise. Both train the same model up to float rounding.
        /// </value>
        public FeatureStorage FeatureStorage { get; set; } = Defaults.Storage;

        /// <summary>
        /// With sparse storage and Sgd or Adam: update a first-layer weight only in the minibatches whose rows hold its
        /// feature (lazy updates, as PyTorch's <c>SparseAdam</c> and TensorFlow's <c>LazyAdam</c> do).
        /// </summary>
        /// <value>
        /// Default true. The exact update moves every first-layer weight every step (the L2 penalty, Adam's moments and the
        /// centring of standardised features reach weights of features a batch does not hold), which costs as much as dense
        /// training; lazy updates cost in proportion to the features a batch holds. Lazy updates skip, for a feature absent
        /// from a batch, that step's L2 decay, momentum and centring term of its weights. False trains exactly as dense storage
        /// does. Ignored for dense storage and L-BFGS.
        /// </value>
        public bool LazySparseUpdates { get; set; } = Defaults.LazySparseUpdates;

        /// <summary>Whether the training rows are held in memory, streamed from a temporary file, or streamed from the data view every epoch (no scikit-learn equivalent: it trains from memory).</summary>
        /// <value>
        /// Default <see cref="DataCaching.Auto"/>: in memory when they fit half of the memory available, otherwise streamed
        /// from a temporary file written while they are read (<see cref="DataCaching.Disk"/>), or from the data view when the
        /// file cannot be written. With shuffling off, every kind gives the same weights; with it on, they draw different orders.
        /// </value>
        public DataCaching Caching { get; set; } = Defaults.Caching;

        /// <summary>
        /// When streaming with <see cref="Shuffle"/> on: the rows in the shuffle buffer, from which each minibatch row is drawn
        /// at random (and replaced by the next row read).
        /// </summary>
        /// <value>
        /// Default null: as many rows as fit in 256 MiB (at least 1,024 and at most the row count). A buffer that holds every
        /// row makes every epoch a full random permutation, as in memory. A smaller one (K rows) lets a row read from the
        /// source leave it after on average K more rows, so rows stored in an order (by class, by date) stay clustered within
        /// about K rows of where they were; the temporary file of <see cref="DataCaching.Disk"/> is then read in a random
        /// order of its 1 MiB blocks, and without it a source that shuffles itself (binary <c>.idv</c> files) is read in its
        /// own shuffled order. Ignored in memory, where every epoch is a full permutation.
        /// </value>
        public int? ShuffleBufferSize { get; set; }

        /// <summary>The task, which fixes the output layer and the loss.</summary>
        /// <value>
        /// Default <see cref="BackpropTask.Auto"/>: inferred from the label type when training (a known-size vector of Boolean
        /// gives <see cref="BackpropTask.MultilabelClassification"/>, which no ML.NET catalog has: set it here, or leave Auto; a
        /// Single or Double label is regression, and when it holds only 0 and 1 the log warns, since it may be a class label not
        /// yet converted to Boolean).
        /// </value>
        public BackpropTask Task { get; set; } = BackpropTask.Auto;

        /// <summary>The width of each hidden layer, input side first (scikit-learn: <c>hidden_layer_sizes</c>).</summary>
        /// <value>Default { 100 }. At least one layer; every width at least 1.</value>
        public int[] HiddenLayerSizes { get; set; } = Defaults.HiddenLayerSizes;

        /// <summary>The activation function of the hidden layers (scikit-learn: <c>activation</c>).</summary>
        /// <value>Default <see cref="Backprop.MLNet.Activation.Relu"/>.</value>
        public Activation Activation { get; set; } = Defaults.HiddenActivation;

        /// <summary>
        /// The probability of dropping each hidden unit during training (inverted dropout: kept units are scaled by
        /// 1 / (1 − rate), so nothing changes at prediction time, where no unit is dropped). Not in scikit-learn; PyTorch's <c>nn.Dropout(p)</c>.
        /// </summary>
        /// <value>Default 0 (no dropout). In [0, 1). Sgd and Adam only.</value>
        public double DropoutRate { get; set; }

        /// <summary>The optimizer (scikit-learn: <c>solver</c>).</summary>
        /// <value>Default <see cref="Backprop.MLNet.Solver.Adam"/>. <see cref="Backprop.MLNet.Solver.Lbfgs"/> trains on all rows at once (for small data sets).</value>
        public Solver Solver { get; set; } = Defaults.Optimizer;

        /// <summary>The initial step size (scikit-learn: <c>learning_rate_init</c>).</summary>
        /// <value>Default 0.001. Greater than 0 and finite.</value>
        public double LearningRate { get; set; } = Defaults.LearningRate;

        /// <summary>How the SGD step size changes over training (scikit-learn: <c>learning_rate</c>); Adam ignores it.</summary>
        /// <value>Default <see cref="Backprop.MLNet.LearningRateSchedule.Constant"/>.</value>
        public LearningRateSchedule LearningRateSchedule { get; set; } = Defaults.Schedule;

        /// <summary>The exponent of <see cref="Backprop.MLNet.LearningRateSchedule.InverseScaling"/>: η = η₀ / t^PowerT (scikit-learn: <c>power_t</c>).</summary>
        /// <value>Default 0.5. At least 0.</value>
        public double PowerT { get; set; } = Defaults.PowerT;

        /// <summary>Momentum of SGD (scikit-learn: <c>momentum</c>).</summary>
        /// <value>Default 0.9. In [0, 1].</value>
        public double Momentum { get; set; } = Defaults.Momentum;

        /// <summary>Whether SGD uses Nesterov's momentum (scikit-learn: <c>nesterovs_momentum</c>).</summary>
        /// <value>Default true.</value>
        public bool UseNesterovMomentum { get; set; } = Defaults.UseNesterovMomentum;

        /// <summary>Adam's decay rate of the first-moment estimate (scikit-learn: <c>beta_1</c>).</summary>
        /// <value>Default 0.9. In [0, 1).</value>
        public double Beta1 { get; set; } = Defaults.Beta1;

        /// <summary>Adam's decay rate of the second-moment estimate (scikit-learn: <c>beta_2</c>).</summary>
        /// <value>Default 0.999. In [0, 1).</value>
        public double Beta2 { get; set; } = Defaults.Beta2;

        /// <summary>Adam's numerical-stability term (scikit-learn: <c>epsilon</c>).</summary>
        /// <value>Default 1e-8. Greater than 0.</value>
        public double Epsilon { get; set; } = Defaults.Epsilon;

        /// <summary>Strength of the L2 penalty on the weights, not the biases (scikit-learn: <c>alpha</c>).</summary>
        /// <value>Default 1e-4. At least 0.</value>
        public double L2Regularization { get; set; } = Defaults.L2Regularization;

        /// <summary>Rows per minibatch (scikit-learn: <c>batch_size</c>); capped at the number of training rows.</summary>
        /// <value>Default 200. At least 1.</value>
        public int BatchSize { get; set; } = Defaults.BatchSize;

        /// <summary>The most passes over the training data (scikit-learn: <c>max_iter</c>).</summary>
        /// <value>Default 200. At least 1.</value>
        public int MaximumNumberOfEpochs { get; set; } = Defaults.MaximumNumberOfEpochs;

        /// <summary>L-BFGS only: the most loss-and-gradient evaluations over all rows (scikit-learn: <c>max_fun</c>).</summary>
        /// <value>Default 15000. At least 1. With L-BFGS, <see cref="MaximumNumberOfEpochs"/> bounds the iterations.</value>
        public int MaximumNumberOfLossEvaluations { get; set; } = Defaults.MaximumNumberOfLossEvaluations;

        /// <summary>Whether the rows are shuffled before every epoch (scikit-learn: <c>shuffle</c>).</summary>
        /// <value>Default true.</value>
        public bool Shuffle { get; set; } = Defaults.Shuffle;

        /// <summary>Seed of the weight initialisation and the shuffling (scikit-learn: <c>random_state</c>).</summary>
        /// <value>Default null: drawn from the MLContext's random source, so <c>new MLContext(seed: n)</c> makes training repeatable.</value>
        public int? Seed { get; set; }

        /// <summary>
        /// The smallest improvement of the training loss that counts (scikit-learn: <c>tol</c>): training stops when
        /// the loss has not improved by at least this much for more than <see cref="NumberOfEpochsWithoutImprovement"/> epochs.
        /// </summary>
        /// <value>Default 1e-4. At least 0.</value>
        public double Tolerance { get; set; } = Defaults.Tolerance;

        /// <summary>How many epochs without an improvement of <see cref="Tolerance"/> are tolerated (scikit-learn: <c>n_iter_no_change</c>).</summary>
        /// <value>Default 10. At least 1.</value>
        public int NumberOfEpochsWithoutImprovement { get; set; } = Defaults.NumberOfEpochsWithoutImprovement;

        /// <summary>
        /// Whether the validation score (accuracy; for multilabel the subset accuracy, the fraction of rows with every label
        /// right, as scikit-learn's <c>MLPClassifier.score</c>; R² for regression) decides when to stop, keeping the weights of
        /// the best-scoring epoch (scikit-learn: <c>early_stopping</c>). The validation rows are those passed to
        /// <c>Fit(train, validation)</c>, or else <see cref="ValidationFraction"/> of the training rows held out (stratified
        /// for binary and multiclass classification). Each epoch's score is reported as <see cref="EpochReport.ValidationScore"/>.
        /// </summary>
        /// <value>Default false. Applies to Sgd and Adam.</value>
        public bool EarlyStopping { get; set; }

        /// <summary>The fraction of training rows held out for early stopping (scikit-learn: <c>validation_fraction</c>).</summary>
        /// <value>Default 0.1. Strictly between 0 and 1.</value>
        public double ValidationFraction { get; set; } = Defaults.ValidationFraction;

        /// <summary>
        /// Threads used by training, and then by scoring with the trained model (scikit-learn: none; its BLAS decides). The
        /// model keeps it as <see cref="BackpropModelParameters.NumberOfThreads"/>, where scoring's limit can be changed; it is
        /// not saved with the model. While the rows are read, before training starts, one background thread compiles the
        /// training path and prepares a large network's memory whatever this limit, when the machine has a second core: work
        /// the first epoch would otherwise do on the training's threads.
        /// </summary>
        /// <value>Default null: all cores. At least 1 when set. Results do not depend on it.</value>
        public int? NumberOfThreads { get; set; }

        /// <summary>
        /// Whether the trained model keeps its optimizer's state (Adam's two moment estimates and step count, SGD's velocity)
        /// for an exact warm start (scikit-learn keeps it too: its pickled model holds its optimizer).
        /// </summary>
        /// <value>
        /// Default true: a warm start from the model, saved and loaded or not, continues bit for bit as if training had never
        /// stopped. False: the model keeps its parameters, statistics, history and the shuffling and schedule counters, but
        /// not the optimizer's state, which for Adam holds two floats for every parameter (for SGD one). Its file and its save
        /// and load times are then about a third (Adam) or a half (SGD) of the full model's, and the model holds that much
        /// less memory, which matters for large networks (a first layer over 100,000 text features); its predictions are the
        /// same bits. A warm start from it restarts the optimizer from the model's parameters. Ignored for L-BFGS, whose
        /// models keep no optimizer state.
        /// </value>
        public bool KeepOptimizerState { get; set; } = Defaults.KeepOptimizerState;

        /// <summary>Receives one <see cref="EpochReport"/> per epoch, on the training thread.</summary>
        /// <value>Default null. The same reports also go to the MLContext log and into <see cref="BackpropModelParameters.TrainingHistory"/>.</value>
        public IProgress<EpochReport>? Progress { get; set; }

        /// <summary>Checks every option and every combination; throws naming the first bad option and its value.</summary>
        internal void Validate()
        {
            if (string.IsNullOrWhiteSpace(LabelColumnName))
            {
                throw Errors.Option(nameof(LabelColumnName), LabelColumnName, "must name a column");
            }

            if (string.IsNullOrWhiteSpace(FeatureColumnName))
            {
                throw Errors.Option(nameof(FeatureColumnName), FeatureColumnName, "must name a column");
            }

            if (ExampleWeightColumnName is not null && string.IsNullOrWhiteSpace(ExampleWeightColumnName))
            {
                throw Errors.Option(nameof(ExampleWeightColumnName), ExampleWeightColumnName, "must name a column, or be null for equal weights");
            }

            if (ClassWeights is not null && Task == BackpropTask.Regression)
            {
                throw Errors.Option(nameof(ClassWeights), ClassWeights.IsBalanced ? "Balanced" : ClassWeights.Weights, "applies to classification only",
                    "Leave it null for regression.");
            }

            if (ClassWeights is not null && Task == BackpropTask.MultilabelClassification)
            {
                // A row of a multilabel target has no single class to weigh it by.
                throw Errors.Option(nameof(ClassWeights), ClassWeights.IsBalanced ? "Balanced" : ClassWeights.Weights,
                    "applies to binary and multiclass classification only, not to multilabel classification (a row has no single class)",
                    "Leave it null; to weigh rows, use ExampleWeightColumnName.");
            }

            if (!Enum.IsDefined(Task))
            {
                throw Errors.Option(nameof(Task), Task, "must be a defined BackpropTask");
            }

            if (HiddenLayerSizes is null || HiddenLayerSizes.Length == 0)
            {
                throw Errors.Option(nameof(HiddenLayerSizes), HiddenLayerSizes, "must list at least one hidden layer width",
                    "For a model without hidden layers use one of ML.NET's linear trainers.");
            }

            for (int i = 0; i < HiddenLayerSizes.Length; i++)
            {
                if (HiddenLayerSizes[i] <= 0)
                {
                    throw Errors.Option(nameof(HiddenLayerSizes), HiddenLayerSizes, $"must hold widths of at least 1 (entry {i} is {HiddenLayerSizes[i]})");
                }
            }

            if (!Enum.IsDefined(FeatureStorage))
            {
                throw Errors.Option(nameof(FeatureStorage), FeatureStorage, "must be a defined FeatureStorage");
            }

            if (!Enum.IsDefined(Caching))
            {
                throw Errors.Option(nameof(Caching), Caching, "must be a defined DataCaching");
            }

            if (ShuffleBufferSize is < 1)
            {
                throw Errors.Option(nameof(ShuffleBufferSize), ShuffleBufferSize, "must be at least 1 row (or null for the default)");
            }

            if (!Enum.IsDefined(Activation))
            {
                throw Errors.Option(nameof(Activation), Activation, "must be a defined Activation");
            }

            if (!Enum.IsDefined(Solver))
            {
                throw Errors.Option(nameof(Solver), Solver, "must be a defined Solver");
            }

            if (!(DropoutRate >= 0 && DropoutRate < 1))
            {
                throw Errors.Option(nameof(DropoutRate), DropoutRate, "must be in [0, 1)");
            }

            if (DropoutRate > 0 && Solver == Solver.Lbfgs)
            {
                throw Errors.Option(nameof(DropoutRate), DropoutRate, "must be 0 with Solver.Lbfgs (its line search needs a deterministic loss)");
            }

            if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            {
                throw Errors.Option(nameof(LearningRate), LearningRate, "must be greater than 0 and finite");
            }

            if (!Enum.IsDefined(LearningRateSchedule))
            {
                throw Errors.Option(nameof(LearningRateSchedule), LearningRateSchedule, "must be a defined LearningRateSchedule");
            }

            if (!(PowerT >= 0) || !double.IsFinite(PowerT))
            {
                throw Errors.Option(nameof(PowerT), PowerT, "must be at least 0 and finite");
            }

            if (!(Momentum >= 0 && Momentum <= 1))
            {
                throw Errors.Option(nameof(Momentum), Momentum, "must be in [0, 1]");
            }

            if (!(Beta1 >= 0 && Beta1 < 1))
            {
                throw Errors.Option(nameof(Beta1), Beta1, "must be in [0, 1)");
            }

            if (!(Beta2 >= 0 && Beta2 < 1))
            {
                throw Errors.Option(nameof(Beta2), Beta2, "must be in [0, 1)");
            }

            if (!(Epsilon > 0) || !double.IsFinite(Epsilon))
            {
                throw Errors.Option(nameof(Epsilon), Epsilon, "must be greater than 0 and finite");
            }

            if (!(L2Regularization >= 0) || !double.IsFinite(L2Regularization))
            {
                throw Errors.Option(nameof(L2Regularization), L2Regularization, "must be at least 0 and finite");
            }

            if (BatchSize <= 0)
            {
                throw Errors.Option(nameof(BatchSize), BatchSize, "must be at least 1");
            }

            if (MaximumNumberOfEpochs <= 0)
            {
                throw Errors.Option(nameof(MaximumNumberOfEpochs), MaximumNumberOfEpochs, "must be at least 1");
            }

            if (MaximumNumberOfLossEvaluations <= 0)
            {
                throw Errors.Option(nameof(MaximumNumberOfLossEvaluations), MaximumNumberOfLossEvaluations, "must be at least 1");
            }

            if (!(Tolerance >= 0) || !double.IsFinite(Tolerance))
            {
                throw Errors.Option(nameof(Tolerance), Tolerance, "must be at least 0 and finite");
            }

            if (NumberOfEpochsWithoutImprovement <= 0)
            {
                throw Errors.Option(nameof(NumberOfEpochsWithoutImprovement), NumberOfEpochsWithoutImprovement, "must be at least 1");
            }

            if (!(ValidationFraction > 0 && ValidationFraction < 1))
            {
                throw Errors.Option(nameof(ValidationFraction), ValidationFraction, "must be strictly between 0 and 1");
            }

            if (NumberOfThreads is <= 0)
            {
                throw Errors.Option(nameof(NumberOfThreads), NumberOfThreads, "must be at least 1, or null for all cores");
            }
        }

        /// <summary>A copy, so that later changes by the caller do not reach a trainer that was already created.</summary>
        internal Options Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.HiddenLayerSizes = (int[])HiddenLayerSizes.Clone();
            return copy;
        }
    }
}
