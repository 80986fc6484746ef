namespace Backprop.MLNet.Training.Data;

/// <summary>A view of one minibatch: features, targets and (optional) weights of <see cref="Rows"/> rows.</summary>
internal readonly ref struct Minibatch
{
    /// <summary>Creates the view.</summary>
    /// <param name="features">Features [rows × inputs].</param>
    /// <param name="targets">Targets [rows × target width].</param>
    /// <param name="weights">Weights [rows], or empty when unweighted.</param>
    /// <param name="rows">Number of rows.</param>
    public Minibatch(ReadOnlySpan<float> features, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int rows)
    {
        Features = features;
        Targets = targets;
        Weights = weights;
        Rows = rows;
    }

    /// <summary>Features [rows × inputs], row-major.</summary>
    public ReadOnlySpan<float> Features { get; }

    /// <summary>Targets [rows × target width], row-major.</summary>
    public ReadOnlySpan<float> Targets { get; }

    /// <summary>Per-row weights, or empty when the data is unweighted.</summary>
    public ReadOnlySpan<float> Weights { get; }

    /// <summary>Number of rows in the batch.</summary>
    public int Rows { get; }

    /// <summary>Σ weights of the batch (its row count when unweighted).</summary>
    public double WeightSum
    {
        get
        {
            if (Weights.IsEmpty)
            {
                return Rows;
            }

            double sum = 0;
            foreach (float w in Weights)
            {
                sum += w;
            }

            return sum;
        }
    }
}
