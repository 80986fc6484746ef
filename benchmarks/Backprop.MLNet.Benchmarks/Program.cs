using System.Globalization;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The benchmark program of the performance issue: <c>fmnist</c> (the FMNIST-MLP reference workload through the
/// public ML.NET API), <c>digits</c> (a small real data set with default options), <c>gemm</c> (the internal matrix
/// kernels at FMNIST-MLP's shapes), <c>scoring</c> (where prediction time goes) or <c>all</c>.
/// </summary>
internal static class Program
{
    private const string Usage = """
        Usage: dotnet run -c Release --project benchmarks/Backprop.MLNet.Benchmarks -- <workload> [options]

        Workloads:
          fmnist   Fashion-MNIST, 784-256-128-10 ReLU, Adam, batch 128, 5 epochs (FMNIST-MLP)
          digits   scikit-learn's digits (examples/data/digits.csv), default options, 200 epochs
          gemm     the three matrix kernels at FMNIST-MLP's shapes, batch 128, 1 and 2 threads
          all      fmnist, digits, gemm and scoring, in that order
          samestart  the engine from scikit-learn's initial weights, no shuffling, 5 epochs
                   (run benchmarks/parity/fmnist_same_start.py first)
          scoring  where scoring time goes: reading, the network alone, Transform, one-row parts

        Options:
          --threads N         NumberOfThreads for training and scoring (default: all cores)
          --epochs N          epochs for fmnist (default 5) and the epoch limit for digits (default 200)
          --gemm-seconds S    measuring time per kernel shape and thread count (default 1)
          --latency-calls N   single-row PredictionEngine calls timed by fmnist (default 20000)
          --data DIR          the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)
          --seed N            the training seed of fmnist and digits (default 0)
        """;

    private static int Main(string[] args)
    {
        BenchmarkOptions options;
        try
        {
            options = BenchmarkOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine();
            Console.Error.WriteLine(Usage);
            return 2;
        }

        if (options.Workload == "help")
        {
            Console.WriteLine(Usage);
            return 0;
        }

        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        MachineInfo.Print(options);

        if (options.Workload is "fmnist" or "all")
        {
            FmnistBenchmark.Run(options);
        }

        if (options.Workload is "digits" or "all")
        {
            DigitsBenchmark.Run(options);
        }

        if (options.Workload is "gemm" or "all")
        {
            GemmBenchmark.Run(options);
        }

        if (options.Workload is "samestart")
        {
            SameStartBenchmark.Run(options);
        }

        if (options.Workload is "scoring" or "all")
        {
            ScoringBenchmark.Run(options);
        }

        return 0;
    }
}
