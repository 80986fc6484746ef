using Backprop.MLNet.Engine.Inference;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// The buffers of one block of rows scored together: the features (<see cref="BlockFeatures"/>: sparse rows in CSR form,
/// dense rows dense), the network's scratch, and after <see cref="Score"/> the raw logits and the outputs (in label units
/// for a standardised regression model) of every row. Owned by one cursor; filled on its thread, scored on one thread
/// at a time, and kept by the model's <see cref="ScoreBlockPool"/> between cursors.
/// </summary>
/// <remarks>
/// The values equal the row-by-row path (<see cref="RowScorer"/> under ML.NET's scorers) bit
/// for bit: the forward kernels give a row the same bits alone or in a batch, dense or sparse, the output activation is
/// applied row by row as a one-row pass applies it, the label de-standardisation is the same element-wise formula, and
/// the PredictedLabel rules below are the scorers' own.
/// </remarks>
internal sealed class ScoreBlock
{
    private readonly BackpropModelParameters _model;
    private readonly BlockFeatures _features;
    private readonly InferenceScratch _scratch;
    private readonly float[] _logits;
    private readonly float[] _outputValues;
    private readonly int _inputs;
    private readonly int _outputs;

    /// <summary>Creates the buffers for up to <paramref name="capacity"/> rows.</summary>
    /// <param name="model">The model to score with.</param>
    /// <param name="capacity">Largest block (≥ 1).</param>
    public ScoreBlock(BackpropModelParameters model, int capacity)
    {
        _model = model;
        _inputs = model.InputSize;
        _outputs = model.OutputSize;
        Capacity = capacity;
        _features = new BlockFeatures(_inputs, capacity);
        _scratch = model.Predictor.CreateScratch(capacity);
        _logits = new float[checked(capacity * _outputs)];
        _outputValues = new float[capacity * _outputs];
    }

    /// <summary>Largest number of rows in a block.</summary>
    public int Capacity { get; }

    /// <summary>The model the block scores with.</summary>
    public BackpropModelParameters Model => _model;

    /// <summary>Bytes of the block's buffers now (features, scratch, logits, outputs).</summary>
    public long BufferBytes => _features.BufferBytes + _scratch.Bytes + (((long)_logits.Length + _outputValues.Length) * sizeof(float));

    /// <summary>Rows in the block scored last (0 before the first).</summary>
    public int Rows { get; private set; }

    /// <summary>The block's feature rows (their form, and the bytes they hold).</summary>
    public BlockFeatures Features => _features;

    /// <summary>
    /// Stores one row's features as row <paramref name="row"/>: rows are set in order, and row 0 starts a new block, in the
    /// form of that row (see <see cref="BlockFeatures"/>).
    /// </summary>
    /// <param name="row">The row's slot: 0 to start a block, else the number of rows set so far (&lt; <see cref="Capacity"/>).</param>
    /// <param name="features">The row's feature vector.</param>
    public void SetFeatures(int row, in VBuffer<float> features)
    {
        if (features.Length != _inputs)
        {
            throw new ArgumentOutOfRangeException(nameof(features), features.Length,
                $"The feature vector has {features.Length} values; this Backprop model was trained on {_inputs}.");
        }

        if (row == 0)
        {
            _features.Clear();
        }
        else if (row != _features.Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Rows are set in order; the next is {_features.Rows}.");
        }

        _features.Add(features);
    }

    /// <summary>Runs the network on the first <paramref name="rows"/> rows set and maps regression outputs back to label units.</summary>
    /// <param name="rows">Rows in the block, 1 ≤ rows ≤ the rows set.</param>
    /// <param name="threads">Threads for the matrix kernels (results do not depend on it).</param>
    public void Score(int rows, int threads)
    {
        ForwardResult result = _model.Predictor.Predict(_features.Batch(rows), _scratch, threads);
        result.Logits.CopyTo(_logits);
        result.Outputs.CopyTo(_outputValues);
        _model.Scaling?.Restore(_outputValues.AsSpan(0, rows * _outputs));
        Rows = rows;
    }

    /// <summary>The raw output logits of row <paramref name="row"/> of the block.</summary>
    /// <param name="row">The row within the block.</param>
    public ReadOnlySpan<float> Logits(int row) => _logits.AsSpan(row * _outputs, _outputs);

    /// <summary>The outputs of row <paramref name="row"/>: probabilities for classifiers, label-unit values for regression.</summary>
    /// <param name="row">The row within the block.</param>
    public ReadOnlySpan<float> Outputs(int row) => _outputValues.AsSpan(row * _outputs, _outputs);

    /// <summary>
    /// The binary scorer's PredictedLabel: Score &gt; threshold, with the threshold 0 that BackpropTransformer gives it.
    /// A NaN score compares false, so it predicts false, as ML.NET's BinaryClassifierScorer does.
    /// </summary>
    /// <param name="score">The raw score (logit).</param>
    public static bool PositiveLabel(float score) => score > 0f;

    /// <summary>
    /// The multilabel PredictedLabel (<see cref="MultilabelMapper"/>): a dense vector with label i true when
    /// <paramref name="logits"/>[i] &gt; 0, the binary rule <see cref="PositiveLabel"/> per label (so NaN is false).
    /// </summary>
    /// <param name="logits">The row's output logits.</param>
    /// <param name="dst">The vector to write, its buffers reused.</param>
    public static void PositiveLabels(ReadOnlySpan<float> logits, ref VBuffer<bool> dst)
    {
        var editor = VBufferEditor.Create(ref dst, logits.Length);
        for (int i = 0; i < logits.Length; i++)
        {
            editor.Values[i] = PositiveLabel(logits[i]);
        }

        dst = editor.Commit();
    }

    /// <summary>Writes <paramref name="values"/> into <paramref name="dst"/> as a dense vector, reusing its buffers (as the scorers write vectors).</summary>
    /// <param name="values">The values.</param>
    /// <param name="dst">The vector to write.</param>
    public static void Dense(ReadOnlySpan<float> values, ref VBuffer<float> dst)
    {
        var editor = VBufferEditor.Create(ref dst, values.Length);
        values.CopyTo(editor.Values);
        dst = editor.Commit();
    }

    /// <summary>
    /// The multiclass scorer's PredictedLabel: 1 + the first index of the largest value, NaNs ignored, and 0 (the
    /// missing key) when every value is NaN, which is what MulticlassClassificationScorer computes through
    /// VectorUtils.ArgMax and MathUtils.ArgMax on a dense score vector.
    /// </summary>
    /// <param name="scores">The row's class scores.</param>
    public static uint ArgMaxKey(ReadOnlySpan<float> scores)
    {
        // Scanned from the end with <=, so among equal maxima the first index wins and a NaN never does.
        int best = -1;
        float max = float.NegativeInfinity;
        for (int i = scores.Length - 1; i >= 0; i--)
        {
            if (max <= scores[i])
            {
                best = i;
                max = scores[i];
            }
        }

        return best < 0 ? 0u : (uint)best + 1;
    }
}
