using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Cuts the training data into minibatches each epoch, as scikit-learn's <c>gen_batches</c> over
/// a (optionally) shuffled index array: consecutive slices of <see cref="BatchSize"/> rows, the
/// last one possibly smaller. Shuffled rows are gathered into buffers allocated once; without
/// shuffling the batches are views of the data itself.
/// </summary>
internal sealed class MinibatchSource
{
    private readonly TrainingData _data;
    private readonly SeededRandom _random;
    private readonly bool _shuffle;
    private readonly int[] _order;
    private readonly float[] _features;
    private readonly float[] _targets;
    private readonly float[]? _weights;

    /// <summary>Creates the source and its gather buffers.</summary>
    /// <param name="data">The training data.</param>
    /// <param name="batchSize">Rows per batch, 1 ≤ batchSize ≤ rows.</param>
    /// <param name="shuffle">Whether <see cref="StartEpoch"/> reshuffles the row order.</param>
    /// <param name="random">Generator for the shuffles.</param>
    public MinibatchSource(TrainingData data, int batchSize, bool shuffle, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        if (batchSize < 1 || batchSize > data.Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be between 1 and the number of rows.");
        }

        _data = data;
        _random = random;
        _shuffle = shuffle;
        BatchSize = batchSize;
        BatchCount = (data.Rows + batchSize - 1) / batchSize;
        _order = new int[data.Rows];
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        if (shuffle)
        {
            _features = new float[checked(batchSize * data.InputSize)];
            _targets = new float[checked(batchSize * data.TargetWidth)];
            _weights = data.Weights is null ? null : new float[batchSize];
        }
        else
        {
            _features = [];
            _targets = [];
        }
    }

    /// <summary>Rows per full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Number of batches per epoch.</summary>
    public int BatchCount { get; }

    /// <summary>
    /// Prepares a new epoch: when shuffling is on, a fresh Fisher–Yates permutation of the rows in their original
    /// order. (Starting from the original order each epoch, rather than permuting last epoch's order as scikit-learn
    /// does, makes an epoch's order depend only on the generator's state, so a saved training resumes exactly.)
    /// </summary>
    public void StartEpoch()
    {
        if (_shuffle)
        {
            for (int i = 0; i < _order.Length; i++)
            {
                _order[i] = i;
            }

            _random.Shuffle(_order);
        }
    }

    /// <summary>Returns batch <paramref name="index"/> of the current epoch; its spans stay valid until the next call.</summary>
    /// <param name="index">Batch index, 0 ≤ index &lt; <see cref="BatchCount"/>.</param>
    public Minibatch GetBatch(int index)
    {
        int start = index * BatchSize;
        int rows = Math.Min(BatchSize, _data.Rows - start);
        int inputs = _data.InputSize;
        int targetWidth = _data.TargetWidth;
        float[]? sourceWeights = _data.Weights;
        if (!_shuffle)
        {
            return new Minibatch(
                _data.Features.AsSpan(start * inputs, rows * inputs),
                _data.Targets.AsSpan(start * targetWidth, rows * targetWidth),
                sourceWeights is null ? default : sourceWeights.AsSpan(start, rows),
                rows);
        }

        ReadOnlySpan<float> features = _data.Features;
        ReadOnlySpan<float> targets = _data.Targets;
        for (int r = 0; r < rows; r++)
        {
            int row = _order[start + r];
            features.Slice(row * inputs, inputs).CopyTo(_features.AsSpan(r * inputs, inputs));
            targets.Slice(row * targetWidth, targetWidth).CopyTo(_targets.AsSpan(r * targetWidth, targetWidth));
            if (sourceWeights is not null)
            {
                _weights![r] = sourceWeights[row];
            }
        }

        return new Minibatch(
            _features.AsSpan(0, rows * inputs),
            _targets.AsSpan(0, rows * targetWidth),
            _weights is null ? default : _weights.AsSpan(0, rows),
            rows);
    }
}
