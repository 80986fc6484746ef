namespace Backprop.MLNet.Benchmarks;

/// <summary>Small summaries of repeated measurements.</summary>
internal static class Stats
{
    /// <summary>The median (the mean of the two middle values for an even count).</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The median.</returns>
    public static double Median(IReadOnlyCollection<double> values) => Quantile(values, 0.5);

    /// <summary>The q-quantile by linear interpolation between order statistics.</summary>
    /// <param name="values">At least one value.</param>
    /// <param name="q">In [0, 1].</param>
    /// <returns>The quantile.</returns>
    public static double Quantile(IReadOnlyCollection<double> values, double q)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("No values to summarise.", nameof(values));
        }

        double[] sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }

    /// <summary>Bytes as mebibytes, e.g. "412.3 MiB".</summary>
    /// <param name="bytes">A byte count.</param>
    /// <returns>The text.</returns>
    public static string Mebibytes(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";
}
