using Backprop.MLNet.MLNet;

namespace Backprop.MLNet;

/// <summary>
/// Per-class weights for classification: each training row's loss (and gradient) is multiplied by the weight of its
/// class (and by its example weight, if any). scikit-learn's MLP has no such option; its other classifiers call it
/// <c>class_weight</c>, with the same meaning of <see cref="Balanced"/>.
/// </summary>
public sealed class ClassWeights
{
    private ClassWeights(float[]? weights) => Weights = weights?.AsReadOnly();

    /// <summary>
    /// Weights inversely proportional to the class frequencies in the training rows: class c gets
    /// n / (k · n_c), with n rows, k classes present and n_c rows of class c (scikit-learn's "balanced").
    /// </summary>
    public static ClassWeights Balanced { get; } = new(null);

    /// <summary>Explicit weights, one per class: for binary classification { weight of false, weight of true }; for multiclass one per key value, in key order.</summary>
    /// <param name="weights">The weights, each finite and at least 0, not all 0.</param>
    /// <returns>The class weights.</returns>
    public static ClassWeights Of(params float[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length == 0 || weights.Any(w => !(w >= 0) || !float.IsFinite(w)) || weights.All(w => w == 0))
        {
            throw new ArgumentOutOfRangeException(nameof(weights), $"[{string.Join(", ", weights)}]",
                "Class weights must be finite, at least 0, not all 0, and there must be one per class.");
        }

        return new ClassWeights((float[])weights.Clone());
    }

    /// <summary>Whether these are the frequency-balancing weights of <see cref="Balanced"/>.</summary>
    public bool IsBalanced => Weights is null;

    /// <summary>The explicit weights, one per class; null for <see cref="Balanced"/>.</summary>
    public IReadOnlyList<float>? Weights { get; }

    /// <summary>The weight of each class, for training rows of which <paramref name="rowsPerClass"/>[c] are of class c.</summary>
    internal float[] For(ReadOnlySpan<long> rowsPerClass)
    {
        int classCount = rowsPerClass.Length;
        if (Weights is { } explicitWeights)
        {
            if (explicitWeights.Count != classCount)
            {
                throw Errors.Option(nameof(BackpropTrainer.Options.ClassWeights), explicitWeights, $"must give one weight per class, {classCount} for this label");
            }

            return explicitWeights.ToArray();
        }

        long rows = 0;
        int present = 0;
        foreach (long n in rowsPerClass)
        {
            rows += n;
            present += n > 0 ? 1 : 0;
        }

        var weights = new float[classCount];
        for (int c = 0; c < classCount; c++)
        {
            weights[c] = rowsPerClass[c] == 0 ? 0f : (float)(rows / ((double)present * rowsPerClass[c]));
        }

        return weights;
    }
}
