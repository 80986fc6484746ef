using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// What one training run of the stream workload measured, in the one line its child process writes for the parent:
/// <see cref="LinePrefix"/> followed by the result as JSON.
/// </summary>
internal sealed record StreamRunResult
{
    /// <summary>Starts the machine-readable line on the child's standard output.</summary>
    public const string LinePrefix = "STREAM-RESULT ";

    /// <summary>The data source: idv, csv, fmnist-own, fmnist-sorted or fmnist-sorted-unshuffleable.</summary>
    public string Source { get; init; } = "";

    /// <summary>The DataCaching asked for (Memory or Streaming).</summary>
    public string Caching { get; init; } = "";

    /// <summary>Null when training completed and the model was evaluated; otherwise why not.</summary>
    public string? Failure { get; init; }

    /// <summary>The child's CPU model (as the machine table prints it).</summary>
    public string Cpu { get; init; } = "";

    /// <summary>The training file.</summary>
    public string File { get; init; } = "";

    /// <summary>Its size in bytes.</summary>
    public long FileBytes { get; init; }

    /// <summary>Training rows (the file's count).</summary>
    public long Rows { get; init; }

    /// <summary>Whether the training view can shuffle (its <c>CanShuffle</c>).</summary>
    public bool CanShuffle { get; init; }

    /// <summary>The MaximumNumberOfEpochs asked for.</summary>
    public int EpochsRequested { get; init; }

    /// <summary>Seconds of each epoch run, from the trainer's epoch reports (their <c>Elapsed</c> differences).</summary>
    public double[] EpochSeconds { get; init; } = [];

    /// <summary>Seconds of Fit.</summary>
    public double FitSeconds { get; init; }

    /// <summary>Fit's seconds outside the epochs (reading the rows once, statistics, building the network).</summary>
    public double? SetupSeconds { get; init; }

    /// <summary>The last epoch's training loss.</summary>
    public double? FinalLoss { get; init; }

    /// <summary>Why training stopped (the TrainingHistory's StopReason).</summary>
    public string? StopReason { get; init; }

    /// <summary>Test rows evaluated.</summary>
    public long TestRows { get; init; }

    /// <summary>Test accuracy (micro accuracy for multiclass).</summary>
    public double? TestAccuracy { get; init; }

    /// <summary>The peak working set (<c>PeakWorkingSet64</c>) after loading the view, before Fit.</summary>
    public long PeakWorkingSetBeforeFit { get; init; }

    /// <summary>The peak working set (<c>PeakWorkingSet64</c>) at the end of the run.</summary>
    public long PeakWorkingSet { get; init; }

    /// <summary>VmHWM from <c>/proc/self/status</c> at the end of the run.</summary>
    public long? VmHwm { get; init; }

    /// <summary><c>GC.GetGCMemoryInfo().TotalAvailableMemoryBytes</c>: the memory the GC may use (the heap hard limit when set).</summary>
    public long GcAvailableBytes { get; init; }

    /// <summary>The value of DOTNET_GCHeapHardLimit in the child's environment, or null.</summary>
    public string? HeapHardLimitSetting { get; init; }

    /// <summary>The machine's load averages (1, 5, 15 minutes) when the child started and when it ended ("start / end").</summary>
    public string LoadAverage { get; init; } = "";

    /// <summary>The <c>--backprop</c> settings applied, or null.</summary>
    public string? Settings { get; init; }

    /// <summary>The trainer's log lines other than the per-epoch ones (what it did with the data).</summary>
    public List<string> TrainerLog { get; init; } = [];

    /// <summary>Training rows per second: rows × epochs run over the seconds of those epochs.</summary>
    [JsonIgnore]
    public double? RowsPerSecond => EpochSeconds.Length == 0 ? null : Rows * EpochSeconds.Length / EpochSeconds.Sum();

    /// <summary>The mean epoch without the first (which carries the JIT compilation), or the only epoch when there is one.</summary>
    [JsonIgnore]
    public double? MeanLaterEpochSeconds => EpochSeconds.Length switch
    {
        0 => null,
        1 => EpochSeconds[0],
        _ => EpochSeconds.Skip(1).Average(),
    };

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The result as the child's machine-readable line.</summary>
    /// <returns>The line, without a line break.</returns>
    public string ToLine() => LinePrefix + JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a line written by <see cref="ToLine"/>.</summary>
    /// <param name="line">A line of the child's output.</param>
    /// <returns>The result, or null if the line is not a result line.</returns>
    public static StreamRunResult? FromLine(string line) =>
        line.StartsWith(LinePrefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize<StreamRunResult>(line[LinePrefix.Length..], Json) : null;
}
