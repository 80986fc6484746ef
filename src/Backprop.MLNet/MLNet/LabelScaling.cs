namespace Backprop.MLNet.MLNet;

/// <summary>
/// The standardisation of a regression label: the network is trained on (y − mean) / sd, per output, with the
/// mean and standard deviation of the training rows, and its outputs are mapped back by y = z·sd + mean.
/// </summary>
/// <param name="Mean">The mean of each label value over the training rows.</param>
/// <param name="StandardDeviation">The standard deviation of each label value (1 where the label is constant).</param>
internal sealed record LabelScaling(float[] Mean, float[] StandardDeviation)
{
    /// <summary>Measures the targets [rows × width] (example weights are ignored, as scikit-learn's StandardScaler does).</summary>
    public static LabelScaling Measure(ReadOnlySpan<float> targets, int rows, int width)
    {
        var mean = new double[width];
        var square = new double[width];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < width; o++)
            {
                double y = targets[(r * width) + o];
                mean[o] += y;
            }
        }

        for (int o = 0; o < width; o++)
        {
            mean[o] /= rows;
        }

        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < width; o++)
            {
                double d = targets[(r * width) + o] - mean[o];
                square[o] += d * d;
            }
        }

        var deviation = new float[width];
        for (int o = 0; o < width; o++)
        {
            float sd = (float)Math.Sqrt(square[o] / rows);
            deviation[o] = sd > 0 && float.IsFinite(sd) ? sd : 1f;
        }

        return new LabelScaling(mean.Select(m => (float)m).ToArray(), deviation);
    }

    /// <summary>Replaces targets [rows × width] in place by (y − mean) / sd.</summary>
    public void Standardize(Span<float> targets)
    {
        int width = Mean.Length;
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = (targets[i] - Mean[i % width]) / StandardDeviation[i % width];
        }
    }

    /// <summary>Maps network outputs [rows × width] back to label units in place: z·sd + mean.</summary>
    public void Restore(Span<float> outputs)
    {
        int width = Mean.Length;
        for (int i = 0; i < outputs.Length; i++)
        {
            outputs[i] = (outputs[i] * StandardDeviation[i % width]) + Mean[i % width];
        }
    }
}
