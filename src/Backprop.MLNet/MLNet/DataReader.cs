using Backprop.MLNet.Engine.Sparse;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// The reading pass: reads a data view's valid rows once (<see cref="DataViewRowSource"/>) and, as they go by, measures
/// what training needs to know of them (row and class counts, the input standardisation, the label scaling, the features'
/// density) and, unless they are to be streamed, collects them in memory (<see cref="FeatureCollector"/>: dense or sparse
/// features, targets, weights). With <see cref="DataCaching.Auto"/> the collection stops as soon as the rows are seen not
/// to fit the memory budget, and the pass carries on measuring: the rows are then streamed, and were read only once to
/// decide.
/// </summary>
internal static class DataReader
{
    /// <summary>What the reading pass found.</summary>
    /// <param name="Data">The rows in memory; null when they are to be streamed, or when none is valid.</param>
    /// <param name="Streamed">Whether the rows are to be streamed (asked for, or too large for memory in automatic mode).</param>
    /// <param name="RowsRead">Rows read, valid or not.</param>
    /// <param name="RowsSkipped">Rows skipped as invalid.</param>
    /// <param name="ValidRows">Rows kept.</param>
    /// <param name="WeightSum">Σ of the kept rows' example weights (their count when unweighted).</param>
    /// <param name="RowsPerClass">Kept rows per class (binary and multiclass; empty for regression and multilabel).</param>
    /// <param name="IsSparse">Whether the features are sparse (held so, or to be streamed in CSR minibatches).</param>
    /// <param name="MeanEntries">The mean number of non-zero features per kept row.</param>
    /// <param name="Statistics">The input statistics (when measured).</param>
    /// <param name="Labels">The regression label's statistics (when measured for regression).</param>
    /// <param name="Spill">The streamed rows written to a temporary file as they were read (the caller disposes it), or null.</param>
    /// <param name="SpillFailure">Why an automatic training could not write that file (it then streams from the data view), or null.</param>
    public sealed record Result(
        TrainingData? Data,
        bool Streamed,
        long RowsRead,
        long RowsSkipped,
        long ValidRows,
        double WeightSum,
        long[] RowsPerClass,
        bool IsSparse,
        double MeanEntries,
        InputStatistics? Statistics,
        LabelScaling.Accumulator? Labels,
        RowSpill? Spill = null,
        string? SpillFailure = null)
    {
        /// <summary>The number of classes with at least one kept row.</summary>
        public int ClassesSeen => RowsPerClass.Count(n => n > 0);
    }

    /// <summary>Reads the rows of <paramref name="source"/>.</summary>
    /// <param name="source">The rows.</param>
    /// <param name="caching">Memory (collect, or refuse data that does not fit), Streaming (only measure) or Auto.</param>
    /// <param name="storage">How to hold the features (Auto decides from the first rows' density).</param>
    /// <param name="availableBytes">The memory available; Memory may fill it, Auto half of it.</param>
    /// <param name="purpose">"training" or "validation", for messages.</param>
    /// <param name="measure">Whether to measure the input (and, for regression, label) statistics.</param>
    /// <param name="spill">
    /// Where streamed rows are written as they are read (from the first row with <see cref="DataCaching.Disk"/>, from the moment
    /// they are seen not to fit with <see cref="DataCaching.Auto"/>), or null to stream them from the data view.
    /// </param>
    public static Result Read(DataViewRowSource source, DataCaching caching, FeatureStorage storage, long availableBytes, string purpose, bool measure,
        SpillSettings? spill = null)
    {
        if (caching == DataCaching.Disk && spill is null)
        {
            throw new ArgumentNullException(nameof(spill), "Disk caching needs a place for its file.");
        }

        using ReadingSpill? writer = spill is null || caching is DataCaching.Memory or DataCaching.Streaming
            ? null
            : new ReadingSpill(source, spill, required: caching == DataCaching.Disk, purpose);
        if (caching == DataCaching.Disk)
        {
            writer!.Start(0);
        }

        int width = source.InputSize;
        int targetWidth = source.TargetWidth;
        long valid = 0, entries = 0, sampleEntries = 0;
        bool denseRows = true;

        // What the file of `rows` rows will take, from the rows read so far (dense until a sparse row is seen).
        double FileBytes(long rows) => rows * RowSpill.BytesPerRow(width, targetWidth, denseRows ? null : (double)entries / valid);

        FeatureCollector? features = null;
        GrowableMatrix? targets = null, weights = null;
        if (caching is DataCaching.Auto or DataCaching.Memory)
        {
            // Size the matrices exactly, so the data is held once: when the view does not know its row count, count the
            // rows first with a cursor that activates no column (upstream transforms then compute nothing).
            long rowCount = source.KnownRowCount ?? source.CountRows();
            bool mayGiveUp = caching == DataCaching.Auto;
            if (!mayGiveUp || rowCount < int.MaxValue)
            {
                features = new FeatureCollector(width, rowCount, storage, mayGiveUp ? availableBytes / 2 : availableBytes, purpose, mayGiveUp);
            }

            if (features is { GaveUp: false })
            {
                int capacity = rowCount is > 0 and < int.MaxValue ? (int)rowCount : 1024;
                targets = new GrowableMatrix(targetWidth, capacity);
                weights = source.WeightColumnName is null ? null : new GrowableMatrix(1, capacity);
            }
            else
            {
                // Refused before the first row: dense storage of a known number of rows.
                features = null;
                writer?.Start(0, FileBytes(rowCount));
            }
        }

        InputStatistics? statistics = measure ? new InputStatistics(width) : null;
        LabelScaling.Accumulator? labels = measure && source.Task == BackpropTask.Regression ? new LabelScaling.Accumulator(targetWidth) : null;
        var rowsPerClass = new long[source.ClassCount];
        double weightSum = 0;
        long read, skipped;
        using (DataViewRowSource.Cursor cursor = source.Open(shuffleSeed: null))
        {
            while (cursor.MoveNext())
            {
                ReadOnlySpan<float> values = cursor.Values;
                ReadOnlySpan<int> indices = cursor.Indices;
                float weight = cursor.ExampleWeight;
                denseRows = cursor.IsDense;
                valid++;
                weightSum += weight;
                long nonZeros = NonZeros.Count(values);
                entries += nonZeros;
                if (valid <= FeatureCollector.SampleRows)
                {
                    sampleEntries += nonZeros;
                }

                statistics?.Add(values, indices, weight);
                labels?.Add(cursor.Target);
                if (rowsPerClass.Length > 0)
                {
                    rowsPerClass[cursor.Class]++;
                }

                if (features is null)
                {
                    writer?.Append(cursor);
                    continue;
                }

                if (features.Rows == int.MaxValue)
                {
                    throw Errors.NoData($"the {purpose} data has more than 2^31 - 1 valid rows, more than memory training holds",
                        "Stream the rows (Caching = DataCaching.Streaming, or Auto), or train on a sample of the rows.");
                }

                features.Add(values, indices, cursor.IsDense);
                if (features.GaveUp)
                {
                    (features, targets, weights) = (null, null, null);
                    writer?.Start(valid - 1, FileBytes(Math.Max(valid, source.KnownRowCount ?? 0)));
                    writer?.Append(cursor);
                    continue;
                }

                cursor.Target.CopyTo(targets!.AppendRow());
                if (weights is not null)
                {
                    weights.AppendRow()[0] = weight;
                }
            }

            (read, skipped) = (cursor.RowsRead, cursor.RowsSkipped);
        }

        if (valid > 0 && !(weightSum > 0))
        {
            throw Errors.NoData($"every example weight in column '{source.WeightColumnName}' is 0", "Give some rows a positive weight.");
        }

        (float[]? dense, SparseRows? sparse) = valid > 0 ? features?.Take() ?? (null, null) : (null, null);
        bool streamed = valid > 0 && dense is null && sparse is null;
        if (streamed && features is not null)
        {
            // The collection gave up only when it was finished (automatic storage's decision at the end of a short pass).
            writer?.Start(valid, FileBytes(valid));
        }

        bool isSparse = streamed
            ? storage == FeatureStorage.Sparse || (storage == FeatureStorage.Auto && FeatureCollector.IsSparseEnough(sampleEntries, Math.Min(valid, FeatureCollector.SampleRows), width))
            : sparse is not null;
        TrainingData? data = dense is not null
            ? new TrainingData(dense, targets!.Take(), (int)valid, width, targetWidth, weights?.Take())
            : sparse is not null ? new TrainingData(sparse, targets!.Take(), targetWidth, weights?.Take()) : null;
        RowSpill? spilled = streamed ? writer?.Finish() : null;
        return new Result(data, streamed, read, skipped, valid, weightSum, rowsPerClass, isSparse, valid == 0 ? 0 : (double)entries / valid, statistics, labels,
            spilled, writer?.Failure);
    }
}
