using System.Globalization;
using Microsoft.ML;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// Fashion-MNIST (as the fmnist workload reads it) in ML.NET binary <c>.idv</c> files for the stream workload: the training
/// rows in the data's own order, the training rows sorted by class (stable: the own order within a class; the worst order
/// for a shuffle buffer), and the test rows. Written once and reused (<see cref="WrittenOnce"/>).
/// </summary>
internal static class FmnistFiles
{
    /// <summary>The three files.</summary>
    /// <param name="Own">Training rows, own order.</param>
    /// <param name="Sorted">Training rows sorted by class.</param>
    /// <param name="Test">Test rows.</param>
    /// <param name="IsSynthetic">True when Fashion-MNIST was not found and the fmnist workload's stand-in was written.</param>
    public sealed record Files(WrittenOnce.Manifest Own, WrittenOnce.Manifest Sorted, WrittenOnce.Manifest Test, bool IsSynthetic);

    /// <summary>Writes the files unless they exist; reads the IDX files only when one has to be written.</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="idxDirectory">The Fashion-MNIST IDX files (<c>--data</c>).</param>
    /// <param name="directory">The folder of the data files (<c>--data-dir</c>).</param>
    /// <returns>The files.</returns>
    public static Files Ensure(MLContext mlContext, string idxDirectory, string directory)
    {
        FashionMnist.Data? data = null;
        FashionMnist.Data Data() => data ??= FashionMnist.Load(idxDirectory);
        bool synthetic = !FashionMnist.IsPresent(idxDirectory);
        string source = synthetic ? "the SYNTHETIC stand-in (no IDX files found)" : Path.GetFullPath(idxDirectory);
        WrittenOnce.Manifest Write(string name, string what, Func<LabeledData> rows) =>
            WrittenOnce.Ensure(Path.Combine(directory, $"fmnist-{name}.idv"), $"Fashion-MNIST {what} from {source}", 4L * 70_000 * FashionMnist.Features, path =>
            {
                LabeledData set = rows();
                using (FileStream file = File.Create(path))
                {
                    mlContext.Data.SaveAsBinary(set.ToDataView(mlContext), file);
                }

                return set.Rows;
            });

        WrittenOnce.Manifest own = Write("train-own-order", "training rows, own order", () => Data().Train);
        WrittenOnce.Manifest sorted = Write("train-sorted-by-class", "training rows, sorted by class (stable)", () => SortedByClass(Data().Train));
        WrittenOnce.Manifest test = Write("test", "test rows, own order", () => Data().Test);
        return new Files(own, sorted, test, synthetic);
    }

    /// <summary>
    /// A view of a binary file that cannot shuffle: its rows read in order through <c>CreateEnumerable</c> and served again by
    /// <c>LoadFromEnumerable</c>, lazily (nothing is held), so a streaming trainer can only shuffle with its buffer.
    /// </summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="path">A file written by <see cref="Ensure"/>.</param>
    /// <returns>The view.</returns>
    public static IDataView Unshuffleable(MLContext mlContext, string path)
    {
        IDataView file = mlContext.Data.LoadFromBinary(path);
        var shape = new LabeledData([], [], FashionMnist.Features, FashionMnist.Classes);
        // CreateEnumerable hands out the key value (class + 1); LoadFromEnumerable takes the class and adds 1 (see LabeledRow).
        IEnumerable<LabeledRow> rows = mlContext.Data.CreateEnumerable<LabeledRow>(file, reuseRowObject: false, schemaDefinition: shape.Schema())
            .Select(row => new LabeledRow { Features = row.Features, Label = row.Label - 1 });
        return mlContext.Data.LoadFromEnumerable(rows, shape.Schema());
    }

    /// <summary>
    /// The rows of a view in order, counted by label key (index 0 counts missing labels), and whether the keys never
    /// decrease (sorted by class).
    /// </summary>
    /// <param name="view">A view with a key Label column.</param>
    /// <returns>The counts and whether they are sorted.</returns>
    public static (long[] Counts, bool Sorted) Labels(IDataView view)
    {
        DataViewSchema.Column labelColumn = view.Schema["Label"];
        using DataViewRowCursor cursor = view.GetRowCursor([labelColumn]);
        ValueGetter<uint> getLabel = cursor.GetGetter<uint>(labelColumn);
        var counts = new long[FashionMnist.Classes + 1];
        uint key = 0, previous = 0;
        bool sorted = true;
        while (cursor.MoveNext())
        {
            getLabel(ref key);
            counts[Math.Min(key, (uint)FashionMnist.Classes)]++;
            sorted &= key >= previous;
            previous = key;
        }

        return (counts, sorted);
    }

    /// <summary>The counts of <see cref="Labels"/> as text: "missing 0; 6000 6000 …".</summary>
    /// <param name="counts">The counts.</param>
    /// <returns>The text.</returns>
    public static string Show(long[] counts) =>
        string.Create(CultureInfo.InvariantCulture, $"missing {counts[0]}; by class {string.Join(" ", counts.Skip(1))}");

    private static LabeledData SortedByClass(LabeledData set)
    {
        int[] order = Enumerable.Range(0, set.Rows).OrderBy(i => set.Classes[i]).ToArray(); // OrderBy is stable
        return set with { Features = order.Select(i => set.Features[i]).ToArray(), Classes = order.Select(i => set.Classes[i]).ToArray() };
    }
}
