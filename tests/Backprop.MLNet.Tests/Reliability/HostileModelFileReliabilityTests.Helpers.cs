using System.Buffers.Binary;
using System.Text;
using Backprop.MLNet.Tests.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Tests.Reliability;

/// <summary>The subject models, their loading with bounds, and the tally the hostile-file tests share.</summary>
public sealed partial class HostileModelFileReliabilityTests
{
    /// <summary>
    /// Whether <paramref name="e"/> (the innermost exception of a failed load) is a clear decode error. The set was
    /// decided from what the fuzzer actually produces:
    /// <list type="bullet">
    /// <item>FormatException: ModelFormat's own checks (a truncation shows as the EndOfStreamException that
    /// ModelFormat wraps, or as its remaining-bytes check), and ML.NET's header checks (Contracts.CheckDecode:
    /// "Corrupt file header", "Wrong file type", "Corrupt model file tail", ...);</item>
    /// <item>InvalidDataException / EndOfStreamException: a garbled or cut stream below the reader;</item>
    /// <item>only when the mutation touched the header's loader assembly name (or its offset/length fields):
    /// FileNotFoundException, FileLoadException or ArgumentException (CultureNotFoundException: "neut?al is an
    /// invalid culture identifier"; "String cannot have zero length"), because ML.NET hands that name to
    /// Assembly.Load before any Backprop code runs ("Could not load file or assembly 'Bac?prop.MLNet'").</item>
    /// </list>
    /// Anything else (IndexOutOfRange, NullReference, Overflow, OutOfMemory, an ArgumentException from the engine)
    /// would be a reader bug.
    /// </summary>
    private static bool IsClearDecodeError(Exception e, bool assemblyNameTouched) =>
        (e is FormatException or InvalidDataException or EndOfStreamException
            || (assemblyNameTouched && e is FileNotFoundException or FileLoadException or ArgumentException))
        && !string.IsNullOrWhiteSpace(e.Message);

    /// <summary>How one load ended.</summary>
    private sealed record Outcome(Exception? Error, ITransformer? Loaded, bool SameScores);

    /// <summary>Counts outcomes by kind, for the test output.</summary>
    private sealed class Tally
    {
        private readonly SortedDictionary<string, int> _counts = [];

        public int Threw { get; private set; }

        public void Add(Outcome outcome)
        {
            string key = outcome.Error is { } e ? "threw " + e.GetType().Name : outcome.SameScores ? "loaded, same scores" : "loaded, different weights";
            if (outcome.Error is not null)
            {
                Threw++;
            }

            _counts[key] = _counts.GetValueOrDefault(key) + 1;
        }

        public override string ToString() => string.Join(", ", _counts.Select(kv => $"{kv.Key}: {kv.Value}"));
    }

    /// <summary>A small fitted model, its zip in memory and its scores on five rows.</summary>
    private sealed class Subject
    {
        private readonly MLContext _ml = new(seed: 5);
        private readonly ModelZip _zip;
        private readonly byte[] _entry;
        private readonly (int Start, int End) _assemblyName;
        private readonly IDataView _rows;
        private readonly uint[] _expected;
        private readonly int _parameters;
        private readonly int _parameterCount;
        private readonly int _scalingPairs;
        private readonly int _standardization;
        private readonly int _validationScores;
        private readonly int _classes;
        private readonly int _hiddenForm;
        private readonly int _inputs;

        private Subject(string task)
        {
            (IDataView data, ITransformer model) = task switch
            {
                "binary" => Fit(MLData.Blobs(_ml, 40, seed: 1), _ml.BinaryClassification.Trainers.Backprop(Options([3]))),
                "regression" => Fit(MLData.Wave(_ml, 40, seed: 1), _ml.Regression.Trainers.Backprop(Options([3]))),
                "binary-validated" => Fit(MLData.Blobs(_ml, 40, seed: 1), _ml.BinaryClassification.Trainers.Backprop(ValidatedOptions([3]))),
                _ => Fit(MLData.ThreeClasses(_ml, 40, seed: 1), _ml.Transforms.Conversion.MapValueToKey("Label")
                    .Append(_ml.MulticlassClassification.Trainers.Backprop(Options([3])))),
            };
            _zip = ModelZip.Save(_ml, model, data.Schema);
            _entry = _zip.BackpropEntry;
            Body = ModelEntry.BodyOffset(_entry);
            BodyEnd = Body + (int)BinaryPrimitives.ReadInt64LittleEndian(_entry.AsSpan(0x18));
            int nameAt = (int)BinaryPrimitives.ReadInt64LittleEndian(_entry.AsSpan(0x90));
            _assemblyName = (nameAt, nameAt + (int)BinaryPrimitives.ReadUInt32LittleEndian(_entry.AsSpan(0x98)));
            _rows = _ml.Data.TakeRows(data, 5);
            _expected = ScoreBits(model.Transform(_rows));
            var net = Stage(model).Model;
            _scalingPairs = net.LabelMean?.Count ?? 0;
            // body: sizeof(float), task, activation, L, L widths, long P, then the parameters
            _parameters = Body + 16 + 4 * (net.LayerCount + 1) + 8;
            _parameterCount = Enumerable.Range(0, net.LayerCount).Sum(l => net.GetWeights(l).Count + net.GetBiases(l).Count);
            // The body ends with the hidden form (format 0x00010005, an int); before it the class values (format 0x00010004): a
            // flag, and for a multiclass model its type and values as (int length, UTF-8) strings and their count; before them
            // the validation scores: int V = E, then V (flag, double).
            _hiddenForm = BodyEnd - 4;
            int classBytes = net.Classes is null ? 0
                : 4 + Encoding.UTF8.GetByteCount(net.Classes.ItemType) + 4 + net.Classes.Values.Sum(v => 4 + Encoding.UTF8.GetByteCount(v));
            _classes = _hiddenForm - 1 - classBytes;
            _validationScores = _classes - 4 - (9 * net.TrainingHistory.Count);
            // Before them the input standardisation (format 0x00010003): int F = the input width, then F (mean, scale) pairs.
            _inputs = net.InputSize;
            Assert.NotNull(net.FeatureMean);
            _standardization = _validationScores - 4 - (8 * _inputs);
        }

        /// <summary>Where the input standardisation (its count F) starts in the entry.</summary>
        public int StandardizationOffset => _standardization;

        /// <summary>Where the validation scores (their count V) start in the entry.</summary>
        public int ValidationScoresOffset => _validationScores;

        /// <summary>Where the class values (their flag) start in the entry.</summary>
        public int ClassesOffset => _classes;

        /// <summary>Where the hidden form (an int, the body's last field) is in the entry.</summary>
        public int HiddenFormOffset => _hiddenForm;

        /// <summary>A fresh copy of the original BackpropModelParameters entry.</summary>
        public byte[] Entry => (byte[])_entry.Clone();

        /// <summary>The most any one load (and scoring) has allocated so far.</summary>
        public long MaxAllocated { get; private set; }

        /// <summary>Where ModelFormat's body starts in the entry (the header's FpModel).</summary>
        public int Body { get; }

        /// <summary>Where ModelFormat's body ends (FpModel + CbModel); ML.NET's string table and tail follow.</summary>
        public int BodyEnd { get; }

        /// <summary>The subject of <paramref name="task"/>, trained once per test run (the tests only read it).</summary>
        public static Subject Make(string task) => Cache.GetOrAdd(task, t => new Subject(t));

        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Subject> Cache = new();

        private static BackpropTrainer.Options Options(int[] hidden) => new()
        {
            HiddenLayerSizes = hidden,
            MaximumNumberOfEpochs = 3,
            BatchSize = 10,
            LearningRate = 0.01,
            Seed = 1,
        };

        private static BackpropTrainer.Options ValidatedOptions(int[] hidden)
        {
            BackpropTrainer.Options options = Options(hidden);
            options.EarlyStopping = true; // on held-out rows: every report has a validation loss and score
            options.ValidationFraction = 0.25;
            return options;
        }

        private static (IDataView, ITransformer) Fit<T>(IDataView data, IEstimator<T> estimator)
            where T : class, ITransformer => (data, estimator.Fit(data));

        /// <summary>Whether a byte lies in the header's loader assembly name, or in its offset and length fields (0x90 to 0x9C).</summary>
        private bool InAssemblyName(int offset) =>
            (offset >= 0x90 && offset < 0x9C) || (offset >= _assemblyName.Start && offset < _assemblyName.End);

        /// <summary>Whether a byte lies in the activation code, the parameters, the label scaling or the input standardisation: values a valid model may hold.</summary>
        public bool IsWeightOrActivation(int offset) =>
            (offset >= Body + 8 && offset < Body + 12) || (offset >= _parameters && offset < _parameters + 4 * _parameterCount + 4 + 8 * _scalingPairs)
            || (offset >= _standardization + 4 && offset < _validationScores);

        /// <summary>Loads the zip with <paramref name="entry"/> on a worker thread, with a timeout, measuring its allocation.</summary>
        public Outcome Load(byte[] entry, string what, IEnumerable<int>? changed = null)
        {
            using MemoryStream zip = _zip.With(entry);
            long allocated = 0;
            Task<Outcome> load = Task.Run(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    ITransformer loaded;
                    try
                    {
                        loaded = _ml.Model.Load(zip, out _);
                    }
                    catch (Exception e)
                    {
                        return new Outcome(SaveLoadTests.Innermost(e), null, false);
                    }

                    // Scoring a loaded model must not fail: any exception here escapes and fails the test.
                    return new Outcome(null, loaded, ScoreBits(loaded.Transform(_rows)).AsSpan().SequenceEqual(_expected));
                }
                finally
                {
                    allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                }
            });
            Assert.True(load.Wait(LoadTimeout), $"{what}: the load did not finish in {LoadTimeout.TotalSeconds} s");
            Outcome outcome = load.Result;
            Assert.True(allocated < AllocationBound, $"{what}: the load allocated {allocated:N0} bytes");
            MaxAllocated = Math.Max(MaxAllocated, allocated);
            if (outcome.Error is { } error)
            {
                Assert.True(IsClearDecodeError(error, changed?.Any(InAssemblyName) ?? false), $"{what}: not a clear decode error: {error}");
            }

            return outcome;
        }

        /// <summary>
        /// Asserts that a loaded model's activation, parameters (as trained, on standardised inputs), standardisation and label
        /// scaling are those written in <paramref name="entry"/>, and that it predicts with the parameters folded.
        /// </summary>
        public void AssertHoldsWhatTheFileSays(byte[] entry, ITransformer loaded)
        {
            BackpropModelParameters net = Stage(loaded).Model;
            Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(Body + 8)), (int)net.Activation);
            float[] written = new float[_parameterCount];
            Buffer.BlockCopy(entry, _parameters, written, 0, 4 * _parameterCount);
            Assert.Equal(written.Select(BitConverter.SingleToUInt32Bits), net.TrainingNetwork.Parameters.Select(BitConverter.SingleToUInt32Bits));
            float[] standardization = new float[2 * _inputs];
            Buffer.BlockCopy(entry, _standardization + 4, standardization, 0, 8 * _inputs);
            Assert.Equal(standardization.Where((_, i) => i % 2 == 0), net.FeatureMean!);
            Assert.Equal(standardization.Where((_, i) => i % 2 == 1), net.FeatureStandardDeviation!);
            float[] predicting = Enumerable.Range(0, net.LayerCount).SelectMany(l => net.GetWeights(l).Concat(net.GetBiases(l))).ToArray();
            Assert.Equal(net.Standardization!.Fold(net.TrainingNetwork).Parameters, predicting);
            if (_scalingPairs == 0)
            {
                return;
            }

            float[] scaling = new float[2 * _scalingPairs]; // after the pair count: (mean, deviation) pairs
            Buffer.BlockCopy(entry, _parameters + 4 * _parameterCount + 4, scaling, 0, 8 * _scalingPairs);
            Assert.Equal(scaling.Where((_, i) => i % 2 == 0), net.LabelMean!);
            Assert.Equal(scaling.Where((_, i) => i % 2 == 1), net.LabelStandardDeviation!);
        }

        private static BackpropTransformer Stage(ITransformer model) =>
            model as BackpropTransformer ?? SaveLoadTests.TrainerStage(model);

        /// <summary>The bits of every Score and Probability value of <paramref name="scored"/>, row by row.</summary>
        private static uint[] ScoreBits(IDataView scored)
        {
            var bits = new List<uint>();
            foreach (string name in new[] { "Score", "Probability" })
            {
                if (scored.Schema.GetColumnOrNull(name) is not { } column)
                {
                    continue;
                }

                if (column.Type is VectorDataViewType)
                {
                    bits.AddRange(scored.GetColumn<float[]>(name).SelectMany(v => v).Select(BitConverter.SingleToUInt32Bits));
                }
                else
                {
                    bits.AddRange(scored.GetColumn<float>(name).Select(BitConverter.SingleToUInt32Bits));
                }
            }

            return bits.ToArray();
        }
    }
}
