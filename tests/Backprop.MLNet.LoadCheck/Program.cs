// Usage: Backprop.MLNet.LoadCheck <model.zip> <data.bin>
// Loads the model with mlContext.Model.Load (nothing of Backprop.MLNet is named here), scores the data
// saved in ML.NET's binary IDataView format, and prints every Single (or Boolean/key) value of the
// Score, Probability and PredictedLabel columns, one row per line, floats as exact hex bit patterns.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Backprop.MLNet.LoadCheck <model.zip> <data.bin>");
    return 2;
}

var mlContext = new MLContext(seed: 0);
ITransformer model = mlContext.Model.Load(args[0], out _);
IDataView data = mlContext.Data.LoadFromBinary(args[1]);
IDataView scored = model.Transform(data);
string[] wanted = ["Score", "Probability", "PredictedLabel"];
var columns = wanted.Select(n => scored.Schema.GetColumnOrNull(n)).Where(c => c.HasValue).Select(c => c!.Value).ToArray();
Console.WriteLine("# " + string.Join(" ", columns.Select(c => c.Name)) + " | last transformer: " + LastTrainer(model));
using DataViewRowCursor cursor = scored.GetRowCursor(columns);
var printers = columns.Select(c => Printer(cursor, c)).ToArray();
while (cursor.MoveNext())
{
    Console.WriteLine(string.Join(" ", printers.Select(p => p())));
}

return 0;

static string LastTrainer(ITransformer model) =>
    model is TransformerChain<ITransformer> chain ? chain.Last().GetType().FullName ?? "?" : model.GetType().FullName ?? "?";

static Func<string> Printer(DataViewRowCursor cursor, DataViewSchema.Column column)
{
    static string Hex(float f) => BitConverter.SingleToInt32Bits(f).ToString("x8", CultureInfo.InvariantCulture);
    switch (column.Type)
    {
        case VectorDataViewType:
        {
            var get = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> v = default;
            return () => { get(ref v); return string.Join(",", v.DenseValues().Select(Hex)); };
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
