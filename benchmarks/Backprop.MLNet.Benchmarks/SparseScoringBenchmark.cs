using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The sparsescoring workload: a binary model of 100,000 inputs and one hidden layer of 100 (the width FeaturizeText
/// gives text), scored on sparse rows of about 100 non-zeros each, through the public API only: single-row
/// <c>PredictionEngine.Predict</c> latency, and <c>Transform</c> + a cursor over Score and PredictedLabel in rows per
/// second, with the bytes each allocates. The model is trained for one epoch on a few rows: the timings do not depend
/// on the weights.
/// </summary>
internal static class SparseScoringBenchmark
{
    private const int Inputs = 100_000;
    private const int Hidden = 100;
    private const int NonZeros = 100;
    private const int TrainingRows = 256;
    private const int DistinctRows = 1_000;
    private const int TransformPasses = 9;
    private const int LatencyRuns = 15;
    private const int LatencyCalls = 5_000;

    /// <summary>Runs the workload and prints its table.</summary>
    /// <param name="options">The command line (<c>--rows</c>: rows scored per Transform pass; <c>--threads</c>; <c>--seed</c>).</param>
    public static void Run(BenchmarkOptions options)
    {
        Console.WriteLine($"== sparsescoring: binary {Inputs:N0}-{Hidden}-1 ReLU model, sparse rows of ~{NonZeros} non-zeros, " +
            $"{options.Rows:N0} rows per Transform pass, threads {options.EffectiveThreads} ==");
        var mlContext = new MLContext(seed: 0);
        SchemaDefinition schema = SparseRow.Schema();
        var clock = Stopwatch.StartNew();
        IDataView train = mlContext.Data.LoadFromEnumerable(Rows(TrainingRows, seed: 1), schema);
        BackpropTransformer model = mlContext.BinaryClassification.Trainers.Backprop(new BackpropTrainer.Options
        {
            HiddenLayerSizes = [Hidden],
            MaximumNumberOfEpochs = 1,
            Seed = options.Seed,
            NumberOfThreads = options.EffectiveThreads,
        }).Fit(train);
        Console.WriteLine($"Trained (1 epoch, {TrainingRows} rows) in {clock.Elapsed.TotalSeconds:F1} s.");

        SparseRow[] scoringRows = Rows(options.Rows, seed: 2);
        IDataView data = mlContext.Data.LoadFromEnumerable(scoringRows, schema);
        var table = new Table("sparsescoring", "median", "best", "runs");

        var seconds = new double[TransformPasses];
        var allocated = new double[TransformPasses];
        double checksum = ScoreAll(model, data, options.Rows);
        for (int pass = 0; pass < TransformPasses; pass++)
        {
            long bytes = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            checksum += ScoreAll(model, data, options.Rows);
            seconds[pass] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            allocated[pass] = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        }

        double[] rowsPerSecond = seconds.Select(s => options.Rows / s).ToArray();
        table.Add("Transform + cursor (Score, PredictedLabel), rows/s", $"{Stats.Median(rowsPerSecond):N0}", $"{rowsPerSecond.Max():N0}", $"{TransformPasses}");
        table.Add("  bytes allocated per pass (all threads)", Stats.Mebibytes((long)Stats.Median(allocated)), Stats.Mebibytes((long)allocated.Min()), "");

        using PredictionEngine<SparseRow, BinaryPrediction> engine =
            mlContext.Model.CreatePredictionEngine<SparseRow, BinaryPrediction>(model, inputSchemaDefinition: schema);
        var prediction = new BinaryPrediction();
        for (int i = 0; i < 2 * DistinctRows; i++)
        {
            engine.Predict(scoringRows[i % DistinctRows], ref prediction);
        }

        var micros = new double[LatencyRuns];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int run = 0; run < LatencyRuns; run++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < LatencyCalls; i++)
            {
                engine.Predict(scoringRows[i % DistinctRows], ref prediction);
                checksum += prediction.Score;
            }

            micros[run] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / LatencyCalls;
        }

        double bytesPerCall = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)(LatencyRuns * LatencyCalls);
        table.Add("PredictionEngine.Predict, one sparse row, µs", $"{Stats.Median(micros):F2}", $"{micros.Min():F2}", $"{LatencyRuns} × {LatencyCalls:N0} calls");
        table.Add("  bytes allocated per call (this thread)", $"{bytesPerCall:F1}", "", "");
        table.Print();
        Console.WriteLine($"Checksum {checksum:G6} (keeps the work observable).");
        Console.WriteLine();
    }

    /// <summary>Reads every row's Score and PredictedLabel through one cursor; returns a checksum.</summary>
    private static double ScoreAll(BackpropTransformer model, IDataView data, int expectedRows)
    {
        IDataView scored = model.Transform(data);
        DataViewSchema.Column scoreColumn = scored.Schema["Score"], labelColumn = scored.Schema["PredictedLabel"];
        using DataViewRowCursor cursor = scored.GetRowCursor([scoreColumn, labelColumn]);
        ValueGetter<float> getScore = cursor.GetGetter<float>(scoreColumn);
        ValueGetter<bool> getLabel = cursor.GetGetter<bool>(labelColumn);
        float score = 0;
        bool label = false;
        double sum = 0;
        int rows = 0;
        while (cursor.MoveNext())
        {
            getScore(ref score);
            getLabel(ref label);
            sum += score + (label ? 1 : 0);
            rows++;
        }

        return rows == expectedRows ? sum : throw new InvalidOperationException($"Scored {rows} rows; expected {expectedRows}.");
    }

    /// <summary>Rows of ~<see cref="NonZeros"/> distinct random indices (sorted) with values in (0, 1]; the label is the sign of a fixed linear rule.</summary>
    private static SparseRow[] Rows(int count, ulong seed)
    {
        var random = new SplitMix64(seed);
        var rows = new SparseRow[count];
        var picked = new SortedSet<int>();
        for (int r = 0; r < count; r++)
        {
            picked.Clear();
            int nonZeros = random.Between(NonZeros / 2, NonZeros * 3 / 2);
            while (picked.Count < nonZeros)
            {
                picked.Add(random.Next(Inputs));
            }

            int[] indices = picked.ToArray();
            float[] values = indices.Select(_ => (float)(1 - random.NextDouble())).ToArray();
            double rule = indices.Zip(values).Sum(p => (p.First % 7 < 3 ? 1 : -1) * p.Second);
            rows[r] = new SparseRow { Features = new VBuffer<float>(Inputs, indices.Length, values, indices), Label = rule > 0 };
        }

        return rows;
    }

    /// <summary>One input row: a sparse feature vector and a Boolean label.</summary>
    internal sealed class SparseRow
    {
        /// <summary>The features, sparse, of length <see cref="Inputs"/>.</summary>
        public VBuffer<float> Features { get; set; }

        /// <summary>The label.</summary>
        public bool Label { get; set; }

        /// <summary>The schema: Features a vector of <see cref="Inputs"/> Single.</summary>
        public static SchemaDefinition Schema()
        {
            var schema = SchemaDefinition.Create(typeof(SparseRow));
            schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Inputs);
            return schema;
        }
    }

    /// <summary>What a binary model outputs for one row.</summary>
    internal sealed class BinaryPrediction
    {
        /// <summary>The raw score (logit).</summary>
        public float Score { get; set; }

        /// <summary>σ(Score).</summary>
        public float Probability { get; set; }

        /// <summary>Score &gt; 0.</summary>
        public bool PredictedLabel { get; set; }
    }
}
