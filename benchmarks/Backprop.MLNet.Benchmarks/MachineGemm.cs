using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics.X86;
using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The machine's own matrix-multiply rate, measured in the same run as the figures compared with it: numpy's sgemm
/// (OpenBLAS) on 2048×2048 float32 matrices when Debian's <c>/usr/bin/python3</c> has numpy (<c>python3-numpy</c>), else this engine's dense
/// forward kernel on 1024×1024×1024 (Z = A·Wᵀ), both on the benchmark's thread count; the median of 7 timed products
/// after a warm-up. Every workload's GFLOP/s can then be read as a share of what this machine can do.
/// </summary>
internal static class MachineGemm
{
    private const int NumpySize = 2048;
    private const int EngineSize = 1024;
    private const int Repeats = 7;

    /// <summary>A measured rate.</summary>
    /// <param name="Gflops">Median GFLOP/s (2·n³ per product).</param>
    /// <param name="Source">What was measured, for the table.</param>
    public sealed record Rate(double Gflops, string Source);

    /// <summary>Measures the rate on <paramref name="threads"/> threads.</summary>
    /// <param name="threads">Threads for the product.</param>
    /// <returns>The rate.</returns>
    public static Rate Measure(int threads) => Numpy(threads) ?? Engine(threads);

    /// <summary>numpy's sgemm in a Python child, or null when there is no numpy (or it fails).</summary>
    private static Rate? Numpy(int threads)
    {
        const string Python = "/usr/bin/python3";
        if (!File.Exists(Python))
        {
            return null;
        }

        // OpenBLAS picks its kernels from the CPU it detects, or from OPENBLAS_CORETYPE. On AVX-512 machines it is told
        // SkylakeX whatever the environment says (this project's machines set Haswell, which halves the rate: 199 against
        // 365 GFLOP/s on the AMD EPYC of 2026-11-29), so that the figure is the machine's limit; elsewhere the environment's
        // choice, if any, stands.
        string coreType = Avx512F.IsSupported ? "SkylakeX" : Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "";
        string script =
            $"import time, numpy as np\nn = {NumpySize}\nrng = np.random.default_rng(0)\n" +
            "a = rng.random((n, n), dtype=np.float32); b = rng.random((n, n), dtype=np.float32)\n" +
            "a @ b; a @ b\nts = []\n" +
            $"for _ in range({Repeats}):\n    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)\n" +
            "ts.sort(); print(2.0 * n ** 3 / ts[len(ts) // 2] / 1e9)\n";
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        if (coreType.Length > 0)
        {
            start.Environment["OPENBLAS_CORETYPE"] = coreType;
        }

        try
        {
            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 && double.TryParse(output.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double gflops)
                ? new Rate(gflops, $"numpy/OpenBLAS sgemm {NumpySize}³, {threads} thread(s){(coreType.Length > 0 ? $", OPENBLAS_CORETYPE={coreType}" : "")}")
                : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>The engine's dense forward kernel on a large square product.</summary>
    private static Rate Engine(int threads)
    {
        const int N = EngineSize;
        var random = new Random(1);
        float[] a = new float[N * N], w = new float[N * N], bias = new float[N], z = new float[N * N];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = random.NextSingle();
            w[i] = random.NextSingle() - 0.5f;
        }

        void Product() => DenseForwardKernel.Compute(a, N, N, w, bias, N, z, null, threads);
        Product();
        Product();
        var seconds = new double[Repeats];
        for (int r = 0; r < Repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            Product();
            seconds[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        return new Rate(2.0 * N * N * N / Stats.Median(seconds) / 1e9,
            $"this engine's dense forward kernel {N}³ ({KernelPath.Detected}), {threads} thread(s): numpy not found in /usr/bin/python3");
    }
}
