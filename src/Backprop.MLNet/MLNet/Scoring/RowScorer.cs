using Backprop.MLNet.Engine.Inference;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// Scores one row at a time without allocating: owns the buffers of one mapper delegate, which ML.NET uses from one
/// thread only (IValueMapper's contract), so each cursor and each PredictionEngine gets its own.
/// </summary>
/// <param name="model">The model to score with.</param>
internal sealed class RowScorer(BackpropModelParameters model)
{
    private readonly InferenceScratch _scratch = model.Predictor.CreateScratch(1);
    private readonly float[] _dense = new float[model.InputSize];
    private readonly float[] _restored = new float[model.Scaling is null ? 0 : model.OutputSize];
    private float _lastLogit;

    /// <summary>Threads one row may use: a large first layer is split over the cores (results do not depend on it).</summary>
    private static int Threads => Environment.ProcessorCount;

    /// <summary>The first raw output logit of one row (for a binary model: the score).</summary>
    /// <param name="features">The row's features.</param>
    public float Logit(in VBuffer<float> features) => model.Predictor.Predict(Densify(features), 1, _scratch, Threads).Logits[0];

    /// <summary>The first raw output logit of the row scored last by <see cref="Predict"/>.</summary>
    public float LastLogit => _lastLogit;

    /// <summary>The outputs of one row: probabilities for classifiers, predicted values (in label units) for regression.</summary>
    /// <param name="features">The row's features.</param>
    public ReadOnlySpan<float> Predict(in VBuffer<float> features)
    {
        ForwardResult result = model.Predictor.Predict(Densify(features), 1, _scratch, Threads);
        _lastLogit = result.Logits[0];
        if (model.Scaling is null)
        {
            return result.Outputs;
        }

        result.Outputs.CopyTo(_restored);
        model.Scaling.Restore(_restored);
        return _restored;
    }

    private ReadOnlySpan<float> Densify(in VBuffer<float> features)
    {
        if (features.Length != _dense.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(features), features.Length,
                $"The feature vector has {features.Length} values; this Backprop model was trained on {_dense.Length}.");
        }

        if (features.IsDense)
        {
            return features.GetValues();
        }

        Array.Clear(_dense);
        ReadOnlySpan<float> values = features.GetValues();
        ReadOnlySpan<int> indices = features.GetIndices();
        for (int i = 0; i < values.Length; i++)
        {
            _dense[indices[i]] = values[i];
        }

        return _dense;
    }
}
