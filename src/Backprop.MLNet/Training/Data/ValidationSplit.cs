using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// Holds out a fraction of the training rows for early stopping, as scikit-learn's
/// <c>train_test_split(..., test_size=validation_fraction, stratify=y if classifier)</c> does: ⌈fraction·n⌉
/// rows, chosen at random, stratified by class for classification (each class gives its share, rounding
/// by largest remainder), so every class present keeps its proportion in both parts.
/// </summary>
internal static class ValidationSplit
{
    /// <summary>
    /// Splits <paramref name="data"/> into training and validation sets, each in the original order: the validation rows
    /// copied, the training rows kept in <paramref name="data"/>'s own feature array when dense (<see cref="TrainingData.KeepOnly"/>),
    /// which leaves <paramref name="data"/> spent.
    /// </summary>
    /// <param name="data">All training rows.</param>
    /// <param name="fraction">The held-out fraction, in (0, 1).</param>
    /// <param name="stratifyByTarget">Stratify by the (single) target value: the class of classification data.</param>
    /// <param name="random">The generator that picks the rows.</param>
    public static (TrainingData Train, TrainingData Validation) Split(TrainingData data, double fraction, bool stratifyByTarget, SeededRandom random)
    {
        int n = data.Rows;
        int validationRows = (int)Math.Ceiling(fraction * n);
        if (n < 2 || validationRows >= n)
        {
            throw new ArgumentException(
                $"Early stopping holds out {fraction:G3} of the rows for validation, which leaves no training rows out of {n}; " +
                "use more data, a smaller ValidationFraction, or pass validation data explicitly.", nameof(data));
        }

        var held = new bool[n];
        if (stratifyByTarget)
        {
            var groups = Enumerable.Range(0, n).GroupBy(i => data.Targets[i * data.TargetWidth]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
            int[] quota = Apportion(groups.Select(g => g.Length).ToArray(), validationRows);
            for (int c = 0; c < groups.Length; c++)
            {
                Pick(groups[c], quota[c], held, random);
            }
        }
        else
        {
            Pick(Enumerable.Range(0, n).ToArray(), validationRows, held, random);
        }

        // The held-out rows are copied out first; the kept ones then move to the front of the data's own features.
        TrainingData validation = data.Select(RowsWhere(held, true));
        return (data.KeepOnly(RowsWhere(held, false)), validation);
    }

    /// <summary>Largest-remainder apportionment of <paramref name="total"/> over groups of the given sizes.</summary>
    private static int[] Apportion(int[] sizes, int total)
    {
        int n = sizes.Sum();
        var exact = sizes.Select(s => (double)total * s / n).ToArray();
        var quota = exact.Select(e => (int)Math.Floor(e)).ToArray();
        int left = total - quota.Sum();
        foreach (int c in Enumerable.Range(0, sizes.Length).OrderByDescending(c => exact[c] - quota[c]).ThenBy(c => c).Take(left))
        {
            quota[c]++;
        }

        return quota;
    }

    private static void Pick(int[] rows, int count, bool[] held, SeededRandom random)
    {
        random.Shuffle(rows);
        for (int i = 0; i < count; i++)
        {
            held[rows[i]] = true;
        }
    }

    private static int[] RowsWhere(bool[] held, bool wanted) => [.. Enumerable.Range(0, held.Length).Where(i => held[i] == wanted)];
}
