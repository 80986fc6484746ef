using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The stream workload's <see cref="TeacherData"/> on disk: an ML.NET binary <c>.idv</c> file written by SaveAsBinary from a
/// lazily generated data view, and a CSV (<c>Label,F0,…,F99</c> with a header line, Label 1 or 0), both written without
/// ever holding the rows, both written once and reused (<see cref="WrittenOnce"/>), and checked against the generator.
/// </summary>
internal static class DenseFiles
{
    private const int CsvBlockRows = 16_384;

    /// <summary>The ML.NET binary file of rows 0 to <paramref name="rows"/> − 1 of the training stream.</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="data">The generator.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="directory">The folder of the data files.</param>
    /// <returns>The file's manifest.</returns>
    public static WrittenOnce.Manifest Idv(MLContext mlContext, TeacherData data, long rows, string directory) =>
        WrittenOnce.Ensure(PathOf(directory, data, rows, "idv"), Description(data, rows, "ML.NET binary (SaveAsBinary)"), FloatBytes(rows), path =>
        {
            using (FileStream file = File.Create(path))
            {
                mlContext.Data.SaveAsBinary(data.View(mlContext, TeacherData.TrainStream, rows), file);
            }

            long written = mlContext.Data.LoadFromBinary(path).GetRowCount() ?? -1;
            return written == rows ? written : throw new InvalidDataException($"{path} holds {written} rows; {rows} were written.");
        });

    /// <summary>The CSV file of rows 0 to <paramref name="rows"/> − 1 of the training stream.</summary>
    /// <param name="data">The generator.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="directory">The folder of the data files.</param>
    /// <returns>The file's manifest.</returns>
    public static WrittenOnce.Manifest Csv(TeacherData data, long rows, string directory) =>
        WrittenOnce.Ensure(PathOf(directory, data, rows, "csv"), Description(data, rows, "CSV, header, Label 1/0"), rows * 7 * TeacherData.Features,
            path => WriteCsv(data, rows, path));

    /// <summary>The CSV's columns for LoadFromTextFile: Label (Boolean) in column 0, Features (Single) in columns 1 to 100.</summary>
    public static TextLoader.Column[] CsvColumns =>
    [
        new("Label", DataKind.Boolean, 0),
        new("Features", DataKind.Single, 1, TeacherData.Features),
    ];

    /// <summary>Reads the CSV through ML.NET's text loader (a source that cannot shuffle).</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="path">The file.</param>
    /// <returns>The view.</returns>
    public static IDataView LoadCsv(MLContext mlContext, string path) =>
        mlContext.Data.LoadFromTextFile(path, CsvColumns, separatorChar: ',', hasHeader: true);

    /// <summary>
    /// Reads a view in order and compares the first <paramref name="checkRows"/> rows (all when null) with the generator:
    /// every feature value bit for bit, and the label.
    /// </summary>
    /// <param name="view">The view of a written file.</param>
    /// <param name="data">The generator it was written from.</param>
    /// <param name="checkRows">Rows to compare, or null for all (then every row is read, and counted).</param>
    /// <returns>Rows read, rows that differ from the generator, and the fraction of positive labels among those read.</returns>
    public static (long Rows, long Mismatches, double PositiveRate) Verify(IDataView view, TeacherData data, long? checkRows)
    {
        DataViewSchema.Column labelColumn = view.Schema["Label"], featuresColumn = view.Schema["Features"];
        using DataViewRowCursor cursor = view.GetRowCursor([labelColumn, featuresColumn]);
        ValueGetter<bool> getLabel = cursor.GetGetter<bool>(labelColumn);
        ValueGetter<VBuffer<float>> getFeatures = cursor.GetGetter<VBuffer<float>>(featuresColumn);
        bool label = false;
        VBuffer<float> features = default;
        var expected = new float[TeacherData.Features];
        var dense = new float[TeacherData.Features];
        long rows = 0, mismatches = 0, positives = 0;
        while ((checkRows is null || rows < checkRows) && cursor.MoveNext())
        {
            getLabel(ref label);
            getFeatures(ref features);
            features.CopyTo(dense);
            bool expectedLabel = data.Row(TeacherData.TrainStream, rows, expected, out _);
            bool same = label == expectedLabel && features.Length == TeacherData.Features &&
                dense.AsSpan().SequenceEqual(expected);
            mismatches += same ? 0 : 1;
            positives += label ? 1 : 0;
            rows++;
        }

        return (rows, mismatches, rows == 0 ? 0 : positives / (double)rows);
    }

    /// <summary>The bytes of <paramref name="rows"/> rows of float32 features.</summary>
    /// <param name="rows">The rows.</param>
    /// <returns>4 × rows × <see cref="TeacherData.Features"/>.</returns>
    public static long FloatBytes(long rows) => 4L * rows * TeacherData.Features;

    private static string PathOf(string directory, TeacherData data, long rows, string extension) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"dense-{TeacherData.Features}f-{rows}r-seed{data.Seed}.{extension}"));

    private static string Description(TeacherData data, long rows, string format) =>
        string.Create(CultureInfo.InvariantCulture, $"{TeacherData.Version}, seed {data.Seed}, {rows} rows × {TeacherData.Features} features, {format}");

    /// <summary>Writes the CSV, blocks of rows formatted in parallel and written in order; returns the rows written.</summary>
    private static long WriteCsv(TeacherData data, long rows, string path)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 20);
        writer.Write("Label");
        for (int i = 0; i < TeacherData.Features; i++)
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture, $",F{i}"));
        }

        writer.Write('\n');
        int parts = Environment.ProcessorCount;
        var texts = new StringBuilder[parts];
        for (long start = 0; start < rows; start += CsvBlockRows)
        {
            long blockEnd = Math.Min(rows, start + CsvBlockRows);
            long partRows = (blockEnd - start + parts - 1) / parts;
            Parallel.For(0, parts, p =>
            {
                var text = texts[p] ??= new StringBuilder();
                text.Clear();
                var features = new float[TeacherData.Features];
                Span<char> number = stackalloc char[32];
                for (long r = start + (p * partRows); r < Math.Min(blockEnd, start + ((p + 1) * partRows)); r++)
                {
                    bool label = data.Row(TeacherData.TrainStream, r, features, out _);
                    text.Append(label ? '1' : '0');
                    foreach (float value in features)
                    {
                        value.TryFormat(number, out int length, default, CultureInfo.InvariantCulture); // shortest round-trip form
                        text.Append(',').Append(number[..length]);
                    }

                    text.Append('\n');
                }
            });
            foreach (StringBuilder text in texts)
            {
                foreach (ReadOnlyMemory<char> chunk in text.GetChunks())
                {
                    writer.Write(chunk.Span);
                }
            }
        }

        return rows;
    }
}
