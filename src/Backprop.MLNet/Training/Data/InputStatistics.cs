using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Measures each input's mean and scale over training rows (weighted by the rows' weights when there are any) and
/// applies a standardisation to rows in place: dense rows are centred and scaled, sparse rows only scaled (their centring
/// is folded into the first layer's bias, so no zero becomes a non-zero).
/// </summary>
/// <remarks>
/// The scale is the standard deviation (population formula, as scikit-learn's StandardScaler), except for an input that
/// is non-zero in fewer than <see cref="RareFraction"/> of the rows (a word, an n-gram, a rare category). Such an input's
/// standard deviation is about √q times its size when present (q its non-zero fraction), so dividing by it would blow the
/// input up by 1/√q where it occurs: 100× for a word in one row of 10,000, which lets the network memorise rare words
/// (on the text benchmark, 0.65 test accuracy against 0.75 unscaled). Its scale is instead √(RareFraction · mean of x² over
/// the rows where it is non-zero): the scale that brings an input of the same size present in a tenth of the rows to unit
/// variance. Binary and already normalised sparse features then keep a size near 1–3. Such an input is not centred either:
/// its mean is small (at most a tenth of its size), and as scikit-learn does not centre sparse data, zeros stay zeros. The
/// rule depends on the values only, so dense and sparse storage of the same rows give the same standardisation.
/// </remarks>
internal static class InputStatistics
{
    /// <summary>The non-zero fraction below which an input's scale is floored (see the remarks).</summary>
    public const double RareFraction = 0.1;

    /// <summary>The standardisation of <paramref name="data"/>'s inputs: two passes in double precision (mean, then squared deviations).</summary>
    /// <param name="data">The training rows.</param>
    public static InputStandardization Measure(TrainingData data)
    {
        int width = data.InputSize;
        var sum = new double[width];
        var squares = new double[width];
        var present = new double[width];
        var presentSquares = new double[width];
        double total = data.TotalWeight;
        if (data.Sparse is { } sparse)
        {
            // Implicit zeros deviate by −μ: their share of the squares is (total − Σ w of the rows holding the input)·μ².
            ForEachEntry(sparse, data.Weights, (i, x, w) => { sum[i] += w * x; present[i] += w; presentSquares[i] += w * x * x; });
            Divide(sum, total);
            ForEachEntry(sparse, data.Weights, (i, x, w) => squares[i] += w * (x - sum[i]) * (x - sum[i]));
            for (int i = 0; i < width; i++)
            {
                squares[i] += (total - present[i]) * sum[i] * sum[i];
            }
        }
        else
        {
            float[] features = data.Features;
            for (int r = 0; r < data.Rows; r++)
            {
                double w = data.Weights?[r] ?? 1.0;
                for (int i = 0; i < width; i++)
                {
                    double x = features[(r * width) + i];
                    sum[i] += w * x;
                    if (x != 0)
                    {
                        present[i] += w;
                        presentSquares[i] += w * x * x;
                    }
                }
            }

            Divide(sum, total);
            for (int r = 0; r < data.Rows; r++)
            {
                double w = data.Weights?[r] ?? 1.0;
                for (int i = 0; i < width; i++)
                {
                    double d = features[(r * width) + i] - sum[i];
                    squares[i] += w * d * d;
                }
            }
        }

        var mean = new float[width];
        var scale = new float[width];
        for (int i = 0; i < width; i++)
        {
            double variance = squares[i] / total;
            bool rare = present[i] < RareFraction * total;
            if (rare)
            {
                variance = Math.Max(variance, RareFraction * presentSquares[i] / present[i]);
            }

            float sd = (float)Math.Sqrt(variance);
            bool constant = !(squares[i] > 0) || !(sd > 0) || !float.IsFinite(sd) || !float.IsFinite((float)sum[i]);
            mean[i] = constant || rare ? 0f : (float)sum[i];
            scale[i] = constant ? 1f : sd;
        }

        return new InputStandardization(mean, scale);
    }

    /// <summary>Standardises the rows of <paramref name="data"/> in place: dense (x − μ)/σ, sparse x/σ.</summary>
    /// <param name="data">Rows this training owns.</param>
    /// <param name="standardization">The standardisation.</param>
    public static void Apply(TrainingData data, InputStandardization standardization)
    {
        if (data.Sparse is { } sparse)
        {
            standardization.ScaleSparse(sparse.Indices.AsSpan(0, sparse.Entries), sparse.Values.AsSpan(0, sparse.Entries));
        }
        else
        {
            standardization.StandardizeDense(data.Features.AsSpan(0, data.Rows * data.InputSize));
        }
    }

    private static void ForEachEntry(SparseRows sparse, float[]? weights, Action<int, double, double> action)
    {
        for (int r = 0; r < sparse.Rows; r++)
        {
            double w = weights?[r] ?? 1.0;
            for (int k = sparse.RowStarts[r]; k < sparse.RowStarts[r + 1]; k++)
            {
                action(sparse.Indices[k], sparse.Values[k], w);
            }
        }
    }

    private static void Divide(double[] values, double by)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] /= by;
        }
    }
}
