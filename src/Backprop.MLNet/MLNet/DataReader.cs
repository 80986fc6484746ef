using Backprop.MLNet.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// Reads an IDataView once, with a typed cursor, into the training loop's in-memory rows: the features dense or sparse
/// (<see cref="FeatureCollector"/>), the targets rows × target width. Rows whose features hold NaN/∞ or whose label is
/// missing are skipped and counted, as ML.NET's own trainers do; so are rows whose example weight is negative or NaN.
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
    /// <param name="outputSize">For multiclass: the number of key values; for regression: the label's length.</param>
    /// <param name="storage">How to hold the features (Auto decides from the first rows).</param>
    /// <param name="availableBytes">The memory the features may take; more is refused before it is allocated.</param>
    /// <param name="purpose">"training" or "validation", for messages.</param>
    public static Result Read(IHost host, RoleMappedData data, BackpropTask task, int inputSize, int outputSize,
        FeatureStorage storage, long availableBytes, string purpose)
    {
        DataViewSchema.Column featureColumn = data.Schema.Feature!.Value;
        DataViewSchema.Column labelColumn = data.Schema.Label!.Value;
        DataViewSchema.Column? weightColumn = data.Schema.Weight;
        int targetWidth = task == BackpropTask.Regression ? outputSize : 1;
        // Size the matrices exactly, so the data is held once: when the view does not know its row count, count the
        // rows first with a cursor that activates no column (upstream transforms then compute nothing).
        long rowCount = data.Data.GetRowCount() ?? CountRows(host, data.Data);
        int capacity = rowCount is > 0 and < int.MaxValue ? (int)rowCount : 1024;
        var features = new FeatureCollector(inputSize, rowCount, storage, availableBytes, purpose);
        var targets = new GrowableMatrix(targetWidth, capacity);
        GrowableMatrix? weights = weightColumn is null ? null : new GrowableMatrix(1, capacity);
        long read = 0, skipped = 0;
        var present = new bool[Math.Max(outputSize, 2)];

        var columns = new List<DataViewSchema.Column> { featureColumn, labelColumn };
        if (weightColumn is { } w)
        {
            columns.Add(w);
        }

        using DataViewRowCursor cursor = data.Data.GetRowCursor(columns);
        ValueGetter<VBuffer<float>> getFeatures = cursor.GetGetter<VBuffer<float>>(featureColumn);
        TargetReader getTarget = TargetGetter(cursor, labelColumn, task);
        ValueGetter<float>? getWeight = weightColumn is null ? null : cursor.GetGetter<float>(weightColumn.Value);
        VBuffer<float> row = default;
        float weight = 1;
        Span<float> target = new float[targetWidth];
        while (cursor.MoveNext())
        {
            if ((read & 1023) == 0)
            {
                host.CheckAlive();
            }

            read++;
            getFeatures(ref row);
            getWeight?.Invoke(ref weight);
            if (!getTarget(target) || row.Length != inputSize || !AllFinite(row.GetValues()) || !(weight >= 0) || float.IsPositiveInfinity(weight))
            {
                skipped++;
                continue;
            }

            if (features.Rows == int.MaxValue)
            {
                throw Errors.NoData("the data has more than 2^31 - 1 valid rows", "Train on a sample of the rows.");
            }

            features.Add(row);
            target.CopyTo(targets.AppendRow());
            if (weights is not null)
            {
                weights.AppendRow()[0] = weight;
            }

            if (task != BackpropTask.Regression)
            {
                present[task == BackpropTask.MulticlassClassification ? (int)target[0] : target[0] > 0 ? 1 : 0] = true;
            }
        }

        int classesSeen = present.Count(p => p);
        if (features.Rows == 0)
        {
            return new Result(null, read, skipped, 0);
        }

        if (weights is not null && weights.Sum() <= 0)
        {
            throw Errors.NoData($"every example weight in column '{weightColumn!.Value.Name}' is 0", "Give some rows a positive weight.");
        }

        (float[]? dense, SparseRows? sparse) = features.Take();
        var matrix = sparse is null
            ? new TrainingData(dense!, targets.Take(), features.Rows, inputSize, targetWidth, weights?.Take())
            : new TrainingData(sparse, targets.Take(), targetWidth, weights?.Take());
        return new Result(matrix, read, skipped, classesSeen);
    }

    private static long CountRows(IHost host, IDataView data)
    {
        long rows = 0;
        using DataViewRowCursor cursor = data.GetRowCursor(Array.Empty<DataViewSchema.Column>());
        while (cursor.MoveNext())
        {
            if ((rows++ & 65535) == 0)
            {
                host.CheckAlive();
            }
        }

        return rows;
    }

    /// <summary>Writes one row's target values; false when the label is missing (the row is then skipped).</summary>
    private delegate bool TargetReader(Span<float> target);

    /// <summary>A reader that turns the label into target values, refusing a missing label.</summary>
    private static TargetReader TargetGetter(DataViewRowCursor cursor, DataViewSchema.Column label, BackpropTask task)
    {
        switch (task)
        {
            case BackpropTask.BinaryClassification:
                {
                    ValueGetter<bool> get = cursor.GetGetter<bool>(label);
                    bool value = default;
                    return target =>
                    {
                        get(ref value);
                        target[0] = value ? 1f : 0f;
                        return true;
                    };
                }

            case BackpropTask.MulticlassClassification:
                {
                    // Key values are 1-based; 0 means missing. Class index = key − 1.
                    ValueGetter<uint> get = cursor.GetGetter<uint>(label);
                    uint value = default;
                    return target =>
                    {
                        get(ref value);
                        target[0] = value - 1;
                        return value != 0;
                    };
                }

            default:
                if (label.Type is VectorDataViewType)
                {
                    ValueGetter<VBuffer<float>> get = cursor.GetGetter<VBuffer<float>>(label);
                    VBuffer<float> value = default;
                    return target =>
                    {
                        get(ref value);
                        if (value.Length != target.Length)
                        {
                            return false;
                        }

                        value.CopyTo(target);
                        return AllFinite(target);
                    };
                }
                else if (label.Type == NumberDataViewType.Double)
                {
                    ValueGetter<double> get = cursor.GetGetter<double>(label);
                    double value = default;
                    return target =>
                    {
                        get(ref value);
                        target[0] = (float)value;
                        return float.IsFinite(target[0]);
                    };
                }
                else
                {
                    ValueGetter<float> get = cursor.GetGetter<float>(label);
                    float value = default;
                    return target =>
                    {
                        get(ref value);
                        target[0] = value;
                        return float.IsFinite(value);
                    };
                }
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }
}
