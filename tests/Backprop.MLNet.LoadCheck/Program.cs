// Usage: Backprop.MLNet.LoadCheck <model.zip> <input.bin> <expected.bin>
// Loads the model with mlContext.Model.Load (nothing of Backprop.MLNet is named here), scores the input
// rows (ML.NET binary IDataView format), and compares the Score, Probability and PredictedLabel columns
// bit for bit with the expected scored rows that the training process wrote. Prints one summary line:
// "identical <rows> rows [columns] last=<type of the chain's last trainer stage>", or the first difference.
// Exit code 0 when identical, 1 when not, 2 on bad usage.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: Backprop.MLNet.LoadCheck <model.zip> <input.bin> <expected.bin>");
    return 2;
}

var mlContext = new MLContext(seed: 0);
ITransformer model = mlContext.Model.Load(args[0], out _);
IDataView actual = model.Transform(mlContext.Data.LoadFromBinary(args[1]));
IDataView expected = mlContext.Data.LoadFromBinary(args[2]);
string[] names = new[] { "Score", "Probability", "PredictedLabel" }.Where(n => expected.Schema.GetColumnOrNull(n).HasValue).ToArray();
int rows = 0;
foreach (string name in names)
{
    string[] want = Values(expected, name);
    string[] got = Values(actual, name);
    rows = want.Length;
    if (got.Length != want.Length)
    {
        Console.WriteLine($"DIFFERENT {name}: {got.Length} rows, expected {want.Length}");
        return 1;
    }

    for (int i = 0; i < want.Length; i++)
    {
        if (got[i] != want[i])
        {
            Console.WriteLine($"DIFFERENT {name} row {i}: {got[i]} expected {want[i]}");
            return 1;
        }
    }
}

Console.WriteLine($"identical {rows} rows [{string.Join(",", names)}] last={LastTrainer(model)}");
return 0;

static string[] Values(IDataView data, string name)
{
    DataViewSchema.Column column = data.Schema[name];
    using DataViewRowCursor cursor = data.GetRowCursor([column]);
    Func<string> print = Printer(cursor, column);
    var values = new List<string>();
    while (cursor.MoveNext())
    {
        values.Add(print());
    }

    return values.ToArray();
}

// The type of the last trainer stage (prediction transformer) of the loaded chain.
static string LastTrainer(ITransformer model) =>
    (model as IEnumerable<ITransformer> ?? [model]).OfType<ISingleFeaturePredictionTransformer<object>>().LastOrDefault()?.GetType().FullName ?? "none";

static Func<string> Printer(DataViewRowCursor cursor, DataViewSchema.Column column)
{
    static string Hex(float f) => BitConverter.SingleToInt32Bits(f).ToString("x8", CultureInfo.InvariantCulture);
    switch (column.Type)
    {
        case VectorDataViewType { ItemType: BooleanDataViewType }:
            {
                var get = cursor.GetGetter<VBuffer<bool>>(column);
                VBuffer<bool> v = default;
                return () => { get(ref v); return string.Join(",", v.DenseValues().Select(b => b ? "true" : "false")); };
            }
        case VectorDataViewType:
            {
                var get = cursor.GetGetter<VBuffer<float>>(column);
                VBuffer<float> v = default;
                return () => { get(ref v); return string.Join(",", v.DenseValues().Select(Hex)); };
            }
        case TextDataViewType:
            {
                var get = cursor.GetGetter<ReadOnlyMemory<char>>(column);
                ReadOnlyMemory<char> v = default;
                return () => { get(ref v); return v.ToString(); };
            }
        case BooleanDataViewType:
            {
                var get = cursor.GetGetter<bool>(column);
                bool v = default;
                return () => { get(ref v); return v ? "true" : "false"; };
            }
        case KeyDataViewType:
            {
                var get = cursor.GetGetter<uint>(column);
                uint v = default;
                return () => { get(ref v); return v.ToString(CultureInfo.InvariantCulture); };
            }
        default:
            {
                var get = cursor.GetGetter<float>(column);
                float v = default;
                return () => { get(ref v); return Hex(v); };
            }
    }
}
