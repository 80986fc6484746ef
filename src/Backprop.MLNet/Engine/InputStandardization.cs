using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Engine;

/// <summary>
/// The standardisation of a network's inputs, x' = (x − <see cref="Mean"/>) / <see cref="Scale"/> per input (scikit-learn's
/// StandardScaler), learned from the training rows: the network is trained on x' and folded into its first layer when
/// training ends (<see cref="Fold"/>), so the model scores raw inputs with no extra stage. A constant input has mean 0
/// and scale 1: it is left as it is.
/// </summary>
/// <param name="Mean">The mean of each input over the training rows (0 for a constant input).</param>
/// <param name="Scale">The standard deviation of each input (1 for a constant input); finite and positive.</param>
internal sealed record InputStandardization(float[] Mean, float[] Scale)
{
    /// <summary>Number of inputs.</summary>
    public int Width => Mean.Length;

    /// <summary>μ/σ per input: the centring term a sparse first layer folds into its bias (see <see cref="Sparse.SparseFirstLayer"/>).</summary>
    public float[] Shift()
    {
        var shift = new float[Width];
        for (int i = 0; i < shift.Length; i++)
        {
            shift[i] = Mean[i] / Scale[i];
        }

        return shift;
    }

    /// <summary>Replaces dense rows [n × <see cref="Width"/>] in place by (x − μ)/σ.</summary>
    /// <param name="rows">The rows, row-major.</param>
    public void StandardizeDense(Span<float> rows)
    {
        int width = Width;
        for (int start = 0; start < rows.Length; start += width)
        {
            Span<float> row = rows.Slice(start, width);
            StandardizeRow(row, row);
        }
    }

    /// <summary>Writes one row standardised, (x − μ) / σ, to <paramref name="destination"/>: the same bits as <see cref="StandardizeDense"/>.</summary>
    /// <param name="row">The row's values (all <see cref="Width"/> of them).</param>
    /// <param name="destination">Where to write them (<see cref="Width"/> values; may be <paramref name="row"/>).</param>
    public void StandardizeRow(ReadOnlySpan<float> row, Span<float> destination)
    {
        // Two exactly rounded operations per value, vectorised or not: the same bits as the scalar (x − μ) / σ.
        ElementWise.SubtractDivide(row, Mean, Scale, destination);
    }

    /// <summary>Replaces the non-zero values of sparse rows in place by x/σ (the centring is the first layer's: see <see cref="Shift"/>).</summary>
    /// <param name="indices">The column index of each value.</param>
    /// <param name="values">The values.</param>
    public void ScaleSparse(ReadOnlySpan<int> indices, Span<float> values)
    {
        for (int k = 0; k < values.Length; k++)
        {
            values[k] /= Scale[indices[k]];
        }
    }

    /// <summary>
    /// The network that computes on raw inputs what <paramref name="trained"/> computes on standardised ones: effectively
    /// W'[o, i] = W[o, i] / σ_i and b'[o] = b[o] − Σ_i W'[o, i]·μ_i (the sum in double precision); the other layers are copied.
    /// </summary>
    /// <param name="trained">A network trained on standardised inputs (row-major first layer).</param>
    /// <param name="storage">
    /// Where the folded network's parameters go when it has exactly their count (overwritten; the caller gives it up), else
    /// null for a new array. The result's bits are the same either way.
    /// </param>
    public Network Fold(Network trained, float[]? storage = null)
    {
        ArgumentNullException.ThrowIfNull(trained);
        if (trained.InputSize != Width)
        {
            throw new ArgumentException($"The network has {trained.InputSize} inputs; the standardisation has {Width}.", nameof(trained));
        }

        Network folded = storage?.Length == trained.ParameterCount ? trained.CloneInto(storage) : trained.Clone();
        int inputs = trained.InputSize, outputs = trained.LayerOutputs(0);
        Span<float> weights = folded.WeightsOf(0);
        Span<float> biases = folded.BiasesOf(0);
        for (int o = 0; o < outputs; o++)
        {
            Span<float> row = weights.Slice(o * inputs, inputs);
            double offset = 0;
            for (int i = 0; i < inputs; i++)
            {
                row[i] /= Scale[i];
                offset += (double)row[i] * Mean[i];
            }

            biases[o] = (float)(biases[o] - offset);
        }

        return folded;
    }
}
