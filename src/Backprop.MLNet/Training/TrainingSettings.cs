using System.Collections.Generic;
using System;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Training;

/// <summary>
/// Hyper-parameters of <see cref="MlpTrainer"/>. Defaults are scikit-learn's <c>MLPClassifier</c>
/// defaults wherever it has one (the scikit-learn name is given on each property).
/// </summary>
internal sealed class TrainingSettings
{
    /// <summary>Width of each hidden layer (<c>hidden_layer_sizes</c>); may be empty. Default (100).</summary>
    public IReadOnlyList<int> HiddenLayerSizes { get; set; } = new[] { 100 };

    /// <summary>Hidden-layer activation (<c>activation</c>). Default <see cref="Activation.Relu"/>.</summary>
    public Activation Activation { get; set; } = Activation.Relu;

    /// <summary>Output activation and loss (chosen by scikit-learn from the kind of target).</summary>
    public OutputKind OutputKind { get; set; } = OutputKind.Sigmoid;

    /// <summary>Number of output units: 1 for binary, K for K classes, one per regression target.</summary>
    public int OutputSize { get; set; } = 1;

    /// <summary>Optimisation algorithm (<c>solver</c>). Default <see cref="Solver.Adam"/>.</summary>
    public Solver Solver { get; set; } = Solver.Adam;

    /// <summary>Initial learning rate (<c>learning_rate_init</c>). Default 0.001.</summary>
    public double LearningRate { get; set; } = 0.001;

    /// <summary>Learning-rate schedule for SGD (<c>learning_rate</c>). Default <see cref="LearningRateSchedule.Constant"/>.</summary>
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>Exponent of the inverse-scaling schedule (<c>power_t</c>). Default 0.5.</summary>
    public double PowerT { get; set; } = 0.5;

    /// <summary>SGD momentum in [0, 1] (<c>momentum</c>). Default 0.9.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Whether SGD uses Nesterov's momentum (<c>nesterovs_momentum</c>). Default true.</summary>
    public bool UseNesterovMomentum { get; set; } = true;

    /// <summary>Adam first-moment decay in [0, 1) (<c>beta_1</c>). Default 0.9.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Adam second-moment decay in [0, 1) (<c>beta_2</c>). Default 0.999.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Adam stability term (<c>epsilon</c>). Default 1e-8.</summary>
    public double Epsilon { get; set; } = 1e-8;

    /// <summary>L2 penalty on the weights, not the biases (<c>alpha</c>). Default 0.0001.</summary>
    public double L2Regularization { get; set; } = 0.0001;

    /// <summary>Minibatch size (<c>batch_size</c>); capped at the number of rows. Default 200.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>Maximum number of epochs (<c>max_iter</c>). Default 200.</summary>
    public int MaximumNumberOfEpochs { get; set; } = 200;

    /// <summary>Whether to shuffle the rows before every epoch (<c>shuffle</c>). Default true.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Seed for the initial weights and the shuffles (<c>random_state</c>). Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Minimum loss improvement that resets the no-improvement count (<c>tol</c>). Default 1e-4.</summary>
    public double Tolerance { get; set; } = 1e-4;

    /// <summary>Epochs without an improvement of at least <see cref="Tolerance"/> tolerated before stopping (<c>n_iter_no_change</c>). Default 10.</summary>
    public int NumberOfEpochsWithoutImprovement { get; set; } = 10;

    /// <summary>Threads of the matrix kernels and the Adam step (values below 1 mean 1); results do not depend on it.</summary>
    public int NumberOfThreads { get; set; }

    /// <summary>
    /// Whether the validation score (accuracy; R² for identity outputs) decides when to stop and which epoch's
    /// weights to keep (scikit-learn's <c>early_stopping</c>). Without explicit validation data,
    /// <see cref="ValidationFraction"/> of the rows are held out (stratified for classification).
    /// </summary>
    public bool EarlyStopping { get; set; }

    /// <summary>The probability of dropping each hidden unit in a training pass (inverted dropout), in [0, 1); 0 for none.</summary>
    public double DropoutRate { get; set; }

    /// <summary>L-BFGS only: the most loss-and-gradient evaluations (scikit-learn's <c>max_fun</c>).</summary>
    public int MaximumNumberOfLossEvaluations { get; set; } = 15000;

    /// <summary>The fraction of rows held out for early stopping when no validation data is given, in (0, 1).</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Throws <see cref="ArgumentException"/> (or a subclass) naming the first invalid setting.</summary>
    public void Validate()
    {
        if (HiddenLayerSizes is null)
        {
            throw new ArgumentException("HiddenLayerSizes must not be null.", nameof(HiddenLayerSizes));
        }

        for (int i = 0; i < HiddenLayerSizes.Count; i++)
        {
            if (HiddenLayerSizes[i] < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(HiddenLayerSizes), HiddenLayerSizes[i], $"Hidden layer {i} must have at least one unit.");
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(OutputSize, 1, nameof(OutputSize));
        RequirePositive(LearningRate, nameof(LearningRate));
        RequireFinite(PowerT, nameof(PowerT));
        RequireInRange(Momentum, 0, 1, upperInclusive: true, nameof(Momentum));
        RequireInRange(Beta1, 0, 1, upperInclusive: false, nameof(Beta1));
        RequireInRange(Beta2, 0, 1, upperInclusive: false, nameof(Beta2));
        RequirePositive(Epsilon, nameof(Epsilon));
        if (!(L2Regularization >= 0) || double.IsInfinity(L2Regularization))
        {
            throw new ArgumentOutOfRangeException(nameof(L2Regularization), L2Regularization, "L2Regularization must be finite and non-negative.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaximumNumberOfEpochs, 1, nameof(MaximumNumberOfEpochs));
        RequireFinite(Tolerance, nameof(Tolerance));
        ArgumentOutOfRangeException.ThrowIfNegative(NumberOfEpochsWithoutImprovement, nameof(NumberOfEpochsWithoutImprovement));
        ArgumentOutOfRangeException.ThrowIfNegative(NumberOfThreads, nameof(NumberOfThreads));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaximumNumberOfLossEvaluations, 1, nameof(MaximumNumberOfLossEvaluations));
        if (!(DropoutRate >= 0 && DropoutRate < 1) || (DropoutRate > 0 && Solver == Solver.Lbfgs))
        {
            throw new ArgumentOutOfRangeException(nameof(DropoutRate), DropoutRate, "DropoutRate must be in [0, 1), and 0 with L-BFGS.");
        }
        if (!(ValidationFraction > 0 && ValidationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in (0, 1).");
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and strictly positive.</summary>
    private static void RequirePositive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and positive.");
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    private static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite.");
        }
    }

    /// <summary>Throws unless low ≤ value ≤ high (or &lt; high).</summary>
    private static void RequireInRange(double value, double low, double high, bool upperInclusive, string name)
    {
        bool ok = value >= low && (upperInclusive ? value <= high : value < high);
        if (!ok)
        {
            string upper = upperInclusive ? "]" : ")";
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [{low}, {high}{upper}.");
        }
    }
}
