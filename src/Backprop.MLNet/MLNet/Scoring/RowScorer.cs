using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Inference;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// Scores one row at a time without allocating: owns the buffers of one mapper delegate, which ML.NET uses from one
/// thread only (IValueMapper's contract), so each cursor and each PredictionEngine gets its own. A sparse feature vector
/// goes to the network as it is, a one-row CSR batch of its indices and values (never made dense), and gives the bits
/// the same row gives dense.
/// </summary>
/// <param name="model">The model to score with.</param>
internal sealed class RowScorer(BackpropModelParameters model)
{
    private readonly InferenceScratch _scratch = model.Predictor.CreateScratch(1);
    private readonly int[] _rowStarts = new int[2];
    private readonly float[] _restored = new float[model.Scaling is null ? 0 : model.OutputSize];
    private float _lastLogit;

    /// <summary>The first raw output logit of one row (for a binary model: the score).</summary>
    /// <param name="features">The row's features.</param>
    public float Logit(in VBuffer<float> features) => Forward(features).Logits[0];

    /// <summary>The first raw output logit of the row scored last by <see cref="Predict"/>.</summary>
    public float LastLogit => _lastLogit;

    /// <summary>The outputs of one row: probabilities for classifiers, predicted values (in label units) for regression.</summary>
    /// <param name="features">The row's features.</param>
    public ReadOnlySpan<float> Predict(in VBuffer<float> features)
    {
        ForwardResult result = Forward(features);
        _lastLogit = result.Logits[0];
        if (model.Scaling is null)
        {
            return result.Outputs;
        }

        result.Outputs.CopyTo(_restored);
        model.Scaling.Restore(_restored);
        return _restored;
    }

    /// <summary>
    /// Runs one row through the network: a dense vector as a one-row dense batch, a sparse one as a one-row CSR batch, a
    /// large first layer split over up to the model's scoring threads (read for every row, so a change to
    /// <see cref="BackpropModelParameters.NumberOfThreads"/> applies at once; results do not depend on it). The outputs are
    /// the network's own (no label scaling); both views are valid until the next call.
    /// </summary>
    /// <param name="features">The row's features.</param>
    public ForwardResult Forward(in VBuffer<float> features)
    {
        int inputs = model.InputSize;
        if (features.Length != inputs)
        {
            throw new ArgumentOutOfRangeException(nameof(features), features.Length,
                $"The feature vector has {features.Length} values; this Backprop model was trained on {inputs}.");
        }

        ReadOnlySpan<float> values = features.GetValues();
        if (features.IsDense)
        {
            return model.Predictor.PredictRow(InputBatch.FromDense(values, 1, inputs), _scratch, model.ScoringThreads);
        }

        _rowStarts[1] = values.Length;
        return model.Predictor.PredictRow(InputBatch.FromCsr(_rowStarts, features.GetIndices(), values, inputs), _scratch, model.ScoringThreads);
    }
}
