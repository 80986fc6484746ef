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
        var accumulator = new Accumulator(width);
        for (int r = 0; r < rows; r++)
        {
            accumulator.Add(targets.Slice(r * width, width));
        }

        return accumulator.Result();
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

    /// <summary>
    /// The label's mean and standard deviation, measured in one pass as the rows are read: sums in double precision of the
    /// deviations from the first row's value (so a large common offset cancels exactly) and of their squares. It also notes
    /// whether a one-value label holds only 0 and 1 (a class label, maybe, taken for a real-valued one).
    /// </summary>
    /// <param name="width">Label values per row.</param>
    internal sealed class Accumulator(int width)
    {
        private readonly double[] _shift = new double[width];
        private readonly double[] _sum = new double[width];
        private readonly double[] _squares = new double[width];
        private long _rows;
        private long _zeros;
        private long _ones;

        /// <summary>Whether the label is one value per row, every row's is 0 or 1, and both occur.</summary>
        public bool OnlyZeroAndOne => width == 1 && _zeros > 0 && _ones > 0 && _zeros + _ones == _rows;

        /// <summary>Adds one row's label values.</summary>
        public void Add(ReadOnlySpan<float> target)
        {
            if (_rows++ == 0)
            {
                for (int o = 0; o < width; o++)
                {
                    _shift[o] = target[o];
                }
            }

            for (int o = 0; o < width; o++)
            {
                double d = target[o] - _shift[o];
                _sum[o] += d;
                _squares[o] += d * d;
            }

            _zeros += target[0] == 0f ? 1 : 0;
            _ones += target[0] == 1f ? 1 : 0;
        }

        /// <summary>The scaling of the rows added (standard deviation 1 where the label is constant).</summary>
        public LabelScaling Result()
        {
            var mean = new float[width];
            var deviation = new float[width];
            for (int o = 0; o < width; o++)
            {
                double centred = _rows == 0 ? 0 : _sum[o] / _rows;
                double variance = _rows == 0 ? 0 : (_squares[o] / _rows) - (centred * centred);
                float sd = (float)Math.Sqrt(Math.Max(0, variance));
                mean[o] = (float)(_shift[o] + centred);
                deviation[o] = sd > 0 && float.IsFinite(sd) ? sd : 1f;
            }

            return new LabelScaling(mean, deviation);
        }
    }
}
