using System.Text.Json;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// What one trainer of the text workload measured, in the one line a child process writes for its parent:
/// <see cref="LinePrefix"/> followed by the result as JSON (numbers in JSON's invariant format).
/// </summary>
internal sealed record TextRunResult
{
    /// <summary>Starts the machine-readable line on the child's standard output.</summary>
    public const string LinePrefix = "TEXT-RESULT ";

    /// <summary>sdca, lightgbm or backprop.</summary>
    public string Trainer { get; init; } = "";

    /// <summary>Null when the run succeeded; otherwise why it did not.</summary>
    public string? Failure { get; init; }

    /// <summary>Training rows.</summary>
    public int TrainRows { get; init; }

    /// <summary>Test rows.</summary>
    public int TestRows { get; init; }

    /// <summary>Seconds to generate the text.</summary>
    public double GenerateSeconds { get; init; }

    /// <summary>Seconds to fit the featurizer and featurize and cache the training and test rows.</summary>
    public double FeaturizeSeconds { get; init; }

    /// <summary>Length of the Features vector.</summary>
    public int FeatureCount { get; init; }

    /// <summary>Features that are single words.</summary>
    public int WordFeatures { get; init; }

    /// <summary>Features that are pairs of words (bigrams).</summary>
    public int WordPairFeatures { get; init; }

    /// <summary>Features that are character trigrams.</summary>
    public int CharTrigramFeatures { get; init; }

    /// <summary>Non-zero feature values over all training cells (rows × features).</summary>
    public double NonZeroFraction { get; init; }

    /// <summary>Mean non-zero feature values per training row.</summary>
    public double NonZerosPerRow { get; init; }

    /// <summary>Fraction of positive training labels.</summary>
    public double PositiveRate { get; init; }

    /// <summary>Seconds of the trainer's Fit.</summary>
    public double FitSeconds { get; init; }

    /// <summary>Backprop only: the median epoch's seconds (from its TrainingHistory).</summary>
    public double? SecondsPerEpoch { get; init; }

    /// <summary>The first epoch's time over the median epoch's (issue 13's target: at most 1.2); null for the baselines.</summary>
    public double? FirstEpochRatio { get; init; }

    /// <summary>Backprop only: epochs run.</summary>
    public int? Epochs { get; init; }

    /// <summary>Backprop only: Fit's seconds outside the epochs (reading and preparing the data, building the network).</summary>
    public double? SetupSeconds { get; init; }

    /// <summary>The process's peak working set when the data was featurized, before Fit.</summary>
    public long PeakWorkingSetBeforeFit { get; init; }

    /// <summary>The process's peak working set after Fit and evaluation.</summary>
    public long PeakWorkingSet { get; init; }

    /// <summary>The process's peak working set right after Fit, before the test rows are scored.</summary>
    public long PeakWorkingSetAfterFit { get; init; }

    /// <summary>Whether this run fitted the whole pipeline on raw text (<c>--pipeline</c>) rather than the trainer on cached features.</summary>
    public bool Pipeline { get; init; }

    /// <summary>Test accuracy.</summary>
    public double Accuracy { get; init; }

    /// <summary>Test area under the ROC curve.</summary>
    public double Auc { get; init; }

    /// <summary>Test log-loss.</summary>
    public double LogLoss { get; init; }

    /// <summary>Bytes of the fitted model's file (<c>mlContext.Model.Save</c> of the trainer's transformer); null for a whole pipeline.</summary>
    public long? ModelFileBytes { get; init; }

    /// <summary>Seconds of <c>mlContext.Model.Save</c> to that file.</summary>
    public double? SaveSeconds { get; init; }

    /// <summary>Seconds of <c>mlContext.Model.Load</c> from it, in a new MLContext.</summary>
    public double? LoadSeconds { get; init; }

    /// <summary>Backprop only: what became of <c>--backprop-storage</c> ("default" when not given).</summary>
    public string? Storage { get; init; }

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The result as the child's machine-readable line.</summary>
    /// <returns>The line, without a line break.</returns>
    public string ToLine() => LinePrefix + JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a line written by <see cref="ToLine"/>.</summary>
    /// <param name="line">A line of the child's output.</param>
    /// <returns>The result, or null if the line is not a result line.</returns>
    public static TextRunResult? FromLine(string line) =>
        line.StartsWith(LinePrefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize<TextRunResult>(line[LinePrefix.Length..], Json) : null;
}
