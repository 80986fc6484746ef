using System.Globalization;

namespace Backprop.MLNet.Benchmarks;

/// <summary>The command line: a workload and its options, each checked as it is read.</summary>
internal sealed class BenchmarkOptions
{
    private static readonly string[] Workloads = ["fmnist", "digits", "gemm", "all", "samestart", "scoring", "help"];

    /// <summary>fmnist, digits, gemm, all or help.</summary>
    public string Workload { get; private init; } = "help";

    /// <summary>NumberOfThreads given to the trainer; null means all cores (the trainer's default).</summary>
    public int? Threads { get; private init; }

    /// <summary>Epochs for fmnist; epoch limit for digits. Null means the workload's own default.</summary>
    public int? Epochs { get; private init; }

    /// <summary>Measuring time per GEMM shape and thread count.</summary>
    public double GemmSeconds { get; private init; } = 1.0;

    /// <summary>Timed single-row PredictionEngine calls.</summary>
    public int LatencyCalls { get; private init; } = 20_000;

    /// <summary>The training seed (weight initialisation and shuffling) of the fmnist and digits workloads.</summary>
    public int Seed { get; private init; }

    /// <summary>The folder of the Fashion-MNIST IDX files.</summary>
    public string DataDirectory { get; private init; } = "/usr/share/datasets/fashion-mnist";

    /// <summary>The threads actually used: the option, else all cores.</summary>
    public int EffectiveThreads => Threads ?? Environment.ProcessorCount;

    /// <summary>Reads the command line; throws <see cref="ArgumentException"/> naming the bad argument.</summary>
    /// <param name="args">The arguments after <c>--</c>.</param>
    /// <returns>The options.</returns>
    public static BenchmarkOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            return new BenchmarkOptions();
        }

        string workload = args[0].ToLowerInvariant();
        if (!Workloads.Contains(workload))
        {
            throw new ArgumentException($"Unknown workload '{args[0]}'; expected one of {string.Join(", ", Workloads)}.");
        }

        int? threads = null, epochs = null;
        double gemmSeconds = 1.0;
        int latencyCalls = 20_000;
        int seed = 0;
        string dataDirectory = "/usr/share/datasets/fashion-mnist";
        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i];
            string value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"Option {name} needs a value.");
            switch (name)
            {
                case "--threads":
                    threads = PositiveInt(name, value);
                    break;
                case "--epochs":
                    epochs = PositiveInt(name, value);
                    break;
                case "--gemm-seconds":
                    gemmSeconds = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && double.IsFinite(s)
                        ? s
                        : throw new ArgumentException($"Option {name} must be a number of seconds greater than 0; got '{value}'.");
                    break;
                case "--latency-calls":
                    latencyCalls = PositiveInt(name, value);
                    break;
                case "--seed":
                    seed = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed)
                        ? parsed
                        : throw new ArgumentException($"Option {name} must be an integer; got '{value}'.");
                    break;
                case "--data":
                    dataDirectory = value;
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        return new BenchmarkOptions
        {
            Workload = workload,
            Threads = threads,
            Epochs = epochs,
            GemmSeconds = gemmSeconds,
            LatencyCalls = latencyCalls,
            Seed = seed,
            DataDirectory = dataDirectory,
        };
    }

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1
            ? n
            : throw new ArgumentException($"Option {name} must be a whole number of at least 1; got '{value}'.");
}
