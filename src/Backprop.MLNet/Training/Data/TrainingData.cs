namespace Backprop.MLNet.Training.Data;

/// <summary>
/// A dense in-memory training (or validation) set: row-major float features and targets,
/// optionally with one weight per row. The arrays are referenced, not copied, and must not change
/// during training.
/// </summary>
internal sealed class TrainingData
{
    /// <summary>Wraps the given arrays after checking their sizes.</summary>
    /// <param name="features">Features [rows × inputSize], row-major.</param>
    /// <param name="targets">Targets [rows × targetWidth], row-major (see <see cref="Engine.Outputs.OutputKind"/> for their meaning).</param>
    /// <param name="rows">Number of rows (≥ 1).</param>
    /// <param name="inputSize">Number of features per row (≥ 1).</param>
    /// <param name="targetWidth">Number of target values per row (≥ 1).</param>
    /// <param name="weights">Optional non-negative weight per row [rows]; <see langword="null"/> for all ones.</param>
    public TrainingData(float[] features, float[] targets, int rows, int inputSize, int targetWidth, float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetWidth, 1);
        if (features.Length < (long)rows * inputSize)
        {
            throw new ArgumentException($"Expected {(long)rows * inputSize} feature values but got {features.Length}.", nameof(features));
        }

        if (targets.Length < (long)rows * targetWidth)
        {
            throw new ArgumentException($"Expected {(long)rows * targetWidth} target values but got {targets.Length}.", nameof(targets));
        }

        if (weights is not null)
        {
            if (weights.Length < rows)
            {
                throw new ArgumentException($"Expected {rows} weights but got {weights.Length}.", nameof(weights));
            }

            double sum = 0;
            for (int i = 0; i < rows; i++)
            {
                if (!(weights[i] >= 0) || float.IsInfinity(weights[i]))
                {
                    throw new ArgumentException($"Weight {i} is {weights[i]}; weights must be finite and non-negative.", nameof(weights));
                }

                sum += weights[i];
            }

            if (!(sum > 0))
            {
                throw new ArgumentException("The weights must not all be zero.", nameof(weights));
            }

            TotalWeight = sum;
        }
        else
        {
            TotalWeight = rows;
        }

        Features = features;
        Targets = targets;
        Rows = rows;
        InputSize = inputSize;
        TargetWidth = targetWidth;
        Weights = weights;
    }

    /// <summary>Features [<see cref="Rows"/> × <see cref="InputSize"/>], row-major.</summary>
    public float[] Features { get; }

    /// <summary>Targets [<see cref="Rows"/> × <see cref="TargetWidth"/>], row-major.</summary>
    public float[] Targets { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of features per row.</summary>
    public int InputSize { get; }

    /// <summary>Number of target values per row.</summary>
    public int TargetWidth { get; }

    /// <summary>Per-row weights, or <see langword="null"/> when every row has weight 1.</summary>
    public float[]? Weights { get; }

    /// <summary>Σ weights (or <see cref="Rows"/> when unweighted).</summary>
    public double TotalWeight { get; }
}
