using Backprop.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet;

/// <summary>
/// Reads an IDataView once, with a typed cursor, into the engine's contiguous float32 matrices (features
/// rows × inputs, targets rows × target width). Rows whose features hold NaN/∞ or whose label is missing are
/// skipped and counted, as ML.NET's own trainers do.
/// </summary>
internal static class DataReader
{
    /// <summary>What was read: the matrices and how many rows were skipped.</summary>
    public sealed record Result(TrainingData? Data, long RowsRead, long RowsSkipped, int ClassesSeen);

    /// <summary>Reads the feature and label columns of <paramref name="data"/> for <paramref name="task"/>.</summary>
    /// <param name="host">Checks for cancellation between rows.</param>
    /// <param name="data">The role-mapped data (feature and label roles set).</param>
    /// <param name="task">The resolved task: decides how the label becomes a target.</param>
    /// <param name="inputSize">The feature vector length.</param>
    /// <param name="classCount">For multiclass: the number of key values (the label's key count).</param>
    public static Result Read(IHost host, RoleMappedData data, BackpropTask task, int inputSize, int classCount)
    {
        DataViewSchema.Column featureColumn = data.Schema.Feature!.Value;
        DataViewSchema.Column labelColumn = data.Schema.Label!.Value;
        long? knownRows = data.Data.GetRowCount();
        int capacity = knownRows is long n and > 0 and < int.MaxValue ? (int)n : 1024;
        var features = new GrowableMatrix(inputSize, capacity);
        var targets = new GrowableMatrix(1, capacity);
        long read = 0, skipped = 0;
        var present = new bool[Math.Max(classCount, 2)];

        using DataViewRowCursor cursor = data.Data.GetRowCursor(new[] { featureColumn, labelColumn });
        ValueGetter<VBuffer<float>> getFeatures = cursor.GetGetter<VBuffer<float>>(featureColumn);
        Func<float> getTarget = TargetGetter(cursor, labelColumn, task);
        VBuffer<float> row = default;
        while (cursor.MoveNext())
        {
            if ((read & 1023) == 0)
                host.CheckAlive();
            read++;
            getFeatures(ref row);
            float target = getTarget();
            if (float.IsNaN(target) || row.Length != inputSize || !AllFinite(row.GetValues()))
            {
                skipped++;
                continue;
            }

            if (features.Rows == int.MaxValue)
                throw Errors.NoData("the data has more than 2^31 - 1 valid rows", "Train on a sample of the rows.");
            row.CopyTo(features.AppendRow());
            targets.AppendRow()[0] = target;
            present[task == BackpropTask.MulticlassClassification ? (int)target : target > 0 ? 1 : 0] = true;
        }

        int classesSeen = present.Count(p => p);
        if (features.Rows == 0)
            return new Result(null, read, skipped, 0);
        var matrix = new TrainingData(features.Take(), targets.Take(), features.Rows, inputSize, 1);
        return new Result(matrix, read, skipped, classesSeen);
    }

    /// <summary>A getter that turns the label into a target value, NaN for a missing label.</summary>
    private static Func<float> TargetGetter(DataViewRowCursor cursor, DataViewSchema.Column label, BackpropTask task)
    {
        switch (task)
        {
            case BackpropTask.BinaryClassification:
            {
                ValueGetter<bool> get = cursor.GetGetter<bool>(label);
                bool value = default;
                return () =>
                {
                    get(ref value);
                    return value ? 1f : 0f;
                };
            }

            case BackpropTask.MulticlassClassification:
            {
                // Key values are 1-based; 0 means missing. Class index = key − 1.
                ValueGetter<uint> get = cursor.GetGetter<uint>(label);
                uint value = default;
                return () =>
                {
                    get(ref value);
                    return value == 0 ? float.NaN : value - 1;
                };
            }

            default:
                if (label.Type == NumberDataViewType.Double)
                {
                    ValueGetter<double> get = cursor.GetGetter<double>(label);
                    double value = default;
                    return () =>
                    {
                        get(ref value);
                        float target = (float)value;
                        return float.IsFinite(target) ? target : float.NaN;
                    };
                }
                else
                {
                    ValueGetter<float> get = cursor.GetGetter<float>(label);
                    float value = default;
                    return () =>
                    {
                        get(ref value);
                        return float.IsFinite(value) ? value : float.NaN;
                    };
                }
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
                return false;
        }

        return true;
    }

    /// <summary>A row-major float matrix that grows by doubling while rows are appended.</summary>
    private sealed class GrowableMatrix(int width, int capacity)
    {
        private float[] _values = new float[(long)width * capacity <= Array.MaxLength ? width * capacity : width];

        public int Rows { get; private set; }

        public Span<float> AppendRow()
        {
            long needed = (long)(Rows + 1) * width;
            if (needed > _values.Length)
            {
                long grown = Math.Max(needed, Math.Min(2L * _values.Length, Array.MaxLength));
                if (grown > Array.MaxLength)
                    throw Errors.NoData($"the feature matrix would exceed {Array.MaxLength} values", "Train on a sample of the rows.");
                Array.Resize(ref _values, (int)grown);
            }

            Span<float> row = _values.AsSpan(Rows * width, width);
            Rows++;
            return row;
        }

        public float[] Take()
        {
            if (_values.Length != Rows * width)
                Array.Resize(ref _values, Rows * width);
            return _values;
        }
    }
}
