using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests;

/// <summary>Small data sets for the ML.NET-level tests: synthetic ones made from a seed, and the shipped CSVs.</summary>
internal static class MLData
{
    public sealed class BinaryRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    public sealed class BinaryRow4
    {
        [VectorType(4)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    public sealed class RegressionRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    public sealed class ClassRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    public sealed class MultilabelRow
    {
        [VectorType(4)] public float[] Features { get; set; } = [];
        [VectorType(3)] public bool[] Label { get; set; } = [];
    }

    /// <summary>
    /// Three labels, each a different nonlinear function of four standard-normal features and each true in half of the
    /// rows: inside the circle x0² + x1² &lt; 2·ln 2, the quadrants where x1·x2 &gt; 0, and |x3| &gt; 0.6745 (the normal
    /// quartile). No line separates any of them, so a linear model stays near the base rate of 0.5.
    /// </summary>
    public static MultilabelRow[] ThreeLabelRows(int rows, int seed)
    {
        var random = new Random(seed);
        var list = new MultilabelRow[rows];
        for (int i = 0; i < rows; i++)
        {
            float[] x = [Gaussian(random), Gaussian(random), Gaussian(random), Gaussian(random)];
            list[i] = new MultilabelRow
            {
                Features = x,
                Label = [(x[0] * x[0]) + (x[1] * x[1]) < 2 * MathF.Log(2), x[1] * x[2] > 0, MathF.Abs(x[3]) > 0.6745f],
            };
        }

        return list;
    }

    /// <summary>The rows of <see cref="ThreeLabelRows"/> as a data view.</summary>
    public static IDataView ThreeLabels(MLContext ml, int rows, int seed) => ml.Data.LoadFromEnumerable(ThreeLabelRows(rows, seed));

    /// <summary>Two Gaussian blobs that a small network separates almost perfectly.</summary>
    public static IDataView Blobs(MLContext ml, int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<BinaryRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            bool label = i % 2 == 0;
            float cx = label ? 1.5f : -1.5f;
            list.Add(new BinaryRow { Features = [cx + Gaussian(random), Gaussian(random)], Label = label });
        }

        return ml.Data.LoadFromEnumerable(list);
    }

    /// <summary>Three blobs with string labels "red", "green", "blue".</summary>
    public static IDataView ThreeClasses(MLContext ml, int rows, int seed)
    {
        var random = new Random(seed);
        string[] names = ["red", "green", "blue"];
        (float X, float Y)[] centres = [(2, 0), (-1, 1.7f), (-1, -1.7f)];
        var list = new List<ClassRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            int k = i % 3;
            list.Add(new ClassRow { Features = [centres[k].X + 0.5f * Gaussian(random), centres[k].Y + 0.5f * Gaussian(random)], Label = names[k] });
        }

        return ml.Data.LoadFromEnumerable(list);
    }

    /// <summary>y = sin(x0) + 0.5·x1 + small noise.</summary>
    public static IDataView Wave(MLContext ml, int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<RegressionRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            float x0 = (float)(random.NextDouble() * 6 - 3), x1 = (float)(random.NextDouble() * 2 - 1);
            list.Add(new RegressionRow { Features = [x0, x1], Label = MathF.Sin(x0) + 0.5f * x1 + 0.05f * Gaussian(random) });
        }

        return ml.Data.LoadFromEnumerable(list);
    }

    public static float Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>scikit-learn's 8×8 digits: Features (64), Label (Single 0–9, map it to a key).</summary>
    public static IDataView Digits(MLContext ml) => ml.Data.LoadFromTextFile(DataFile("digits.csv"),
        [new TextLoader.Column("Features", DataKind.Single, 0, 63), new TextLoader.Column("Label", DataKind.Single, 64)],
        separatorChar: ',', hasHeader: true);

    /// <summary>Breast Cancer Wisconsin (Diagnostic): Features (30), Label (Boolean, true = malignant).</summary>
    public static IDataView BreastCancer(MLContext ml) => ml.Data.LoadFromTextFile(DataFile("breast-cancer.csv"),
        [new TextLoader.Column("Features", DataKind.Single, 0, 29), new TextLoader.Column("Label", DataKind.Boolean, 30)],
        separatorChar: ',', hasHeader: true);

    /// <summary>The diabetes progression data: Features (10, raw), Label (Single).</summary>
    public static IDataView Diabetes(MLContext ml) => ml.Data.LoadFromTextFile(DataFile("diabetes.csv"),
        [new TextLoader.Column("Features", DataKind.Single, 0, 9), new TextLoader.Column("Label", DataKind.Single, 10)],
        separatorChar: ',', hasHeader: true);

    /// <summary>A row of a shipped data set: its feature vector and label.</summary>
    public sealed class Row<TLabel>
    {
        public float[] Features { get; set; } = [];
        public TLabel Label { get; set; } = default!;
    }

    /// <summary>
    /// The split of benchmarks/parity/sklearn_parity.py: row i (file order) is a test row when i % 5 == 0, else a
    /// training row (80/20), so the C# and scikit-learn figures are measured on the same rows.
    /// </summary>
    public static (IDataView Train, IDataView Test) FifthSplit<TLabel>(MLContext ml, IDataView data)
    {
        Row<TLabel>[] rows = ml.Data.CreateEnumerable<Row<TLabel>>(data, reuseRowObject: false).ToArray();
        var schema = SchemaDefinition.Create(typeof(Row<TLabel>));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows[0].Features.Length);
        IDataView Part(bool test) => ml.Data.LoadFromEnumerable(rows.Where((_, i) => (i % 5 == 0) == test).ToArray(), schema);
        return (Part(test: false), Part(test: true));
    }

    /// <summary>The path of a CSV shipped under examples/data (copied next to the test assembly).</summary>
    public static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);
}
