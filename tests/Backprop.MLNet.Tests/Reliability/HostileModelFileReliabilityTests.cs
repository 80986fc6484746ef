using System.Buffers.Binary;
using System.Diagnostics;
using Backprop.MLNet.Tests.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace Backprop.MLNet.Tests.Reliability;

/// <summary>
/// Model files a user did not make: the BackpropModelParameters entry inside an otherwise valid zip is cut,
/// mutated at random and forged field by field. Every load must end in one of two ways: a clear exception, or a
/// model that scores exactly as the original (or, when only the weights or the activation changed, a model that
/// holds exactly what the file says). No hang, no crash, no large allocation.
/// </summary>
public sealed class HostileModelFileReliabilityTests(ITestOutputHelper output)
{
    /// <summary>
    /// The most one load (plus scoring five rows) may allocate on its thread. A legitimate load of these ~1 KB
    /// entries allocates well under 1 MiB (ML.NET's zip reader, schema and scorer objects, the network twice);
    /// 64 MiB leaves room for ML.NET's own buffers while catching any allocation sized from a forged count: the
    /// smallest forged width the reader could trust without checking the remaining bytes (2^24 floats) is 64 MiB.
    /// </summary>
    private const long AllocationBound = 64L << 20;

    /// <summary>A load that has not finished in this time is a hang (a normal one takes milliseconds).</summary>
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void TruncatedAtEveryOffsetThrowsAClearException()
    {
        Subject subject = Subject.Make("binary");
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        byte[] whole = subject.Entry;
        for (int length = 0; length < whole.Length; length++)
        {
            Outcome outcome = subject.Load(whole.AsSpan(0, length).ToArray(), $"truncated to {length} of {whole.Length} bytes");
            // A cut entry never loads: the reader needs every byte up to the end of the checkpoint.
            Assert.True(outcome.Error is not null, $"truncated to {length} bytes: loaded without an exception");
            tally.Add(outcome);
        }

        output.WriteLine($"{whole.Length} truncations in {clock.Elapsed.TotalSeconds:F1} s; {tally}; at most {subject.MaxAllocated:N0} bytes allocated by one load");
    }

    [Theory]
    [InlineData("binary", 2000, 11)]
    [InlineData("regression", 500, 12)]
    [InlineData("multiclass", 500, 13)]
    public void RandomByteMutationsThrowOrLoadFaithfully(string task, int mutations, int seed)
    {
        Subject subject = Subject.Make(task);
        var random = new Random(seed);
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        for (int n = 0; n < mutations; n++)
        {
            byte[] entry = subject.Entry;
            // Four in five inside ModelFormat's body, the rest anywhere (ML.NET's header, string table, tail).
            (int from, int to) = n % 5 == 4 ? (0, entry.Length) : (subject.Body, subject.BodyEnd);
            int changes = random.Next(3) == 0 ? random.Next(2, 5) : 1;
            var changed = new List<int>();
            for (int c = 0; c < changes; c++)
            {
                int at = random.Next(from, to);
                switch (random.Next(3))
                {
                    case 0: entry[at] = (byte)random.Next(256); break;
                    case 1: entry[at] ^= (byte)(1 << random.Next(8)); break;
                    default: entry[at] = random.Next(2) == 0 ? (byte)0 : (byte)0xFF; break;
                }

                changed.Add(at);
            }

            Outcome outcome = subject.Load(entry, $"mutation {n}: bytes [{string.Join(", ", changed)}] of a {entry.Length}-byte entry, body at {subject.Body}", changed);
            if (outcome.Error is null && !outcome.SameScores)
            {
                // A changed weight, activation code or label scaling is a different valid model: nothing in the
                // format can tell it from the original. It must then hold exactly what the file says.
                Assert.True(changed.Any(subject.IsWeightOrActivation), $"mutation {n} at [{string.Join(", ", changed)}] loaded a model that scores differently");
                subject.AssertHoldsWhatTheFileSays(entry, outcome.Loaded!);
            }

            tally.Add(outcome);
        }

        output.WriteLine($"{task}: {mutations} mutations in {clock.Elapsed.TotalSeconds:F1} s; {tally}; at most {subject.MaxAllocated:N0} bytes allocated by one load");
        // Both outcomes occur in bulk, so the fuzzer reaches the checks and also the fields a valid model may vary.
        Assert.True(tally.Threw > mutations / 8, $"only {tally.Threw} of {mutations} mutations were refused: the fuzzer is not reaching the checks");
        Assert.True(tally.Threw < mutations * 7 / 8, $"{tally.Threw} of {mutations} mutations were refused: the fuzzer is not reaching past the first checks");
    }

    public static TheoryData<string, string, int, byte[], string> ForgedFields()
    {
        // Body of the binary and regression subjects (widths [2, 3, 1], so L = 3, P = 13, 3 epochs): +0 sizeof(float),
        // +4 task, +8 activation, +12 L, +16/+20/+24 widths, +28 P (long), +36 the 13 parameters, +88 scaling pairs S.
        // Binary (S = 0): +92 stop reason, +96 E = 3, +100 three 37-byte reports, +211 checkpoint flag, +212 optimizer,
        // +216 buffer count, +220 steps (long), +228 Adam's first moment (13 floats).
        // Regression (S = 1): +92 mean, +96 deviation.
        var data = new TheoryData<string, string, int, byte[], string>();
        void Add(string what, int offset, byte[] bytes, string expected) => data.Add("binary", what, offset, bytes, expected);
        foreach (int width in new[] { int.MaxValue, int.MaxValue - 1, 1 << 30, (1 << 24) + 1 })
        {
            Add($"hidden width {width}", 20, I32(width), "layer width 1");
        }

        Add("input width 2^24 (the largest allowed)", 16, I32(1 << 24), "the parameter count");
        Add("hidden width 2^24 with the parameter count to match", 20, [.. I32(1 << 24), .. I32(1), .. I64(((2L + 1) << 24) + (1L << 24) + 1)], "need");
        Add("input and hidden width 2^24 with the parameter count to match", 16, [.. I32(1 << 24), .. I32(1 << 24), .. I32(1), .. I64(((1L << 24) + 1) * (1L << 24) + (1L << 24) + 1)], "the number of parameters");
        Add("1024 layers", 12, I32(1024), "need");
        Add("2^31 - 1 layers", 12, I32(int.MaxValue), "the number of layer widths");
        Add("negative layer count", 12, I32(-1), "the number of layer widths");
        Add("negative width", 16, I32(-3), "layer width 0");
        Add("zero width", 24, I32(0), "layer width 2");
        Add("negative parameter count", 28, I64(-13), "the parameter count");
        Add("parameter count 2^40", 28, I64(1L << 40), "the parameter count");
        Add("NaN weight", 36, F32(float.NaN), "parameter 0");
        Add("+infinity weight", 40, F32(float.PositiveInfinity), "parameter 1");
        Add("-infinity bias", 36 + 12 * 4, F32(float.NegativeInfinity), "parameter 12");
        Add("negative scaling pair count", 88, I32(-1), "label scaling pairs");
        Add("scaling pairs on a classifier", 88, I32(1), "label scaling pairs");
        Add("stop reason 2^31 - 1", 92, I32(int.MaxValue), "the stop reason");
        Add("negative epoch report count", 96, I32(-5), "the number of epoch reports");
        Add("epoch report count 2^31 - 1", 96, I32(int.MaxValue), "epoch reports need");
        Add("checkpoint flag 2", 211, [2], "the checkpoint flag");
        Add("optimizer buffer count 2^31 - 1", 216, I32(int.MaxValue), "the number of optimizer buffers");
        Add("negative Adam step count", 220, I64(-1), "the optimizer step count");
        Add("NaN in Adam's first moment", 228, F32(float.NaN), "optimizer buffer 0 value 0");
        Add("infinity in Adam's second moment", 228 + 13 * 4, F32(float.PositiveInfinity), "optimizer buffer 1 value 0");
        data.Add("regression", "two scaling pairs for one output", 88, I32(2), "label scaling pairs");
        data.Add("regression", "NaN label mean", 92, F32(float.NaN), "label scaling pair 0");
        data.Add("regression", "zero label deviation", 96, F32(0), "label scaling pair 0");
        data.Add("regression", "infinite label deviation", 96, F32(float.PositiveInfinity), "label scaling pair 0");
        return data;
    }

    [Theory]
    [MemberData(nameof(ForgedFields))]
    public void ForgedFieldThrowsAFormatExceptionNamingIt(string task, string what, int bodyOffset, byte[] bytes, string expected)
    {
        Subject subject = Subject.Make(task);
        byte[] entry = subject.Entry;
        bytes.CopyTo(entry, subject.Body + bodyOffset);
        Outcome outcome = subject.Load(entry, what);
        Assert.True(outcome.Error is FormatException, $"{what}: {outcome.Error?.ToString() ?? "loaded"}");
        Assert.Contains(expected, outcome.Error!.Message);
    }

    /// <summary>Forged fields of the input standardisation (format 0x00010003), which closes the body: refused, naming the field.</summary>
    [Theory]
    [InlineData(0, 3, "the number of input standardisation pairs")]   // F must be 0 or the input width (2)
    [InlineData(0, -1, "the number of input standardisation pairs")]
    [InlineData(0, int.MaxValue, "the number of input standardisation pairs")]
    [InlineData(4, 0x7FC00000, "input standardisation pair 0")]       // mean NaN
    [InlineData(8, 0, "input standardisation pair 0")]                // scale 0
    [InlineData(16, unchecked((int)0xBF800000), "input standardisation pair 1")] // scale −1
    [InlineData(16, 0x7F800000, "input standardisation pair 1")]      // scale +∞
    public void ForgedStandardizationThrowsAFormatExceptionNamingIt(int offset, int value, string expected)
    {
        Subject subject = Subject.Make("binary");
        byte[] entry = subject.Entry;
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(subject.StandardizationOffset + offset), value);
        Outcome outcome = subject.Load(entry, $"{value} at standardisation + {offset}");
        Assert.True(outcome.Error is FormatException, outcome.Error?.ToString() ?? "loaded");
        Assert.Contains(expected, outcome.Error!.Message);
    }

    /// <summary>
    /// ML.NET's version contract: a reader refuses a file whose "readable by" version is newer than the reader, or
    /// whose "written" version is older than the oldest it reads back. A newer "written" version that still
    /// declares itself readable by this code is accepted by design (a compatible future writer), and must then
    /// load the unchanged body exactly.
    /// </summary>
    [Theory]
    [InlineData(0x0C, 0x7FFFFFFFu, false)] // VerReadable of ML.NET's header format: from the future
    [InlineData(0x0C, 0x00020001u, false)]
    [InlineData(0x4C, 0x00010004u, false)] // ModelVerReadable: needs a newer BackpropModelParameters reader
    [InlineData(0x4C, 0xFFFFFFFFu, false)]
    [InlineData(0x48, 0x00010000u, false)] // ModelVerWritten older than the oldest version ever written
    [InlineData(0x48, 0u, false)]
    [InlineData(0x08, 0x00020001u, true)]  // VerWritten newer, VerReadable unchanged: readable by contract
    [InlineData(0x48, 0x00020001u, true)]  // ModelVerWritten newer, ModelVerReadable unchanged: readable by contract
    [InlineData(0x48, 0x00010001u, true)]  // claims the first version: read as that layout; must fail or score the same
    public void UnknownVersionIsRefusedOrReadExactly(int headerOffset, uint version, bool mayLoad)
    {
        Subject subject = Subject.Make("binary");
        byte[] entry = subject.Entry;
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(headerOffset), version);
        string what = $"0x{version:X8} at 0x{headerOffset:X2}";
        Outcome outcome = subject.Load(entry, what);
        Assert.True(mayLoad || outcome.Error is not null, $"{what} loaded");
        Assert.True(outcome.Error is not null || outcome.SameScores, $"{what} loaded a model that scores differently");
    }

    [Fact]
    public void BothVersionsFromTheFutureAreRefusedNamingTheVersion()
    {
        Subject subject = Subject.Make("binary");
        byte[] entry = subject.Entry;
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(0x48), 0x00020001u);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(0x4C), 0x00020001u);
        Outcome outcome = subject.Load(entry, "ModelVerWritten = ModelVerReadable = 0x00020001");
        Assert.IsType<FormatException>(outcome.Error);
        output.WriteLine(outcome.Error!.Message);
    }

    private static byte[] I32(int value) => BitConverter.GetBytes(value);

    private static byte[] I64(long value) => BitConverter.GetBytes(value);

    private static byte[] F32(float value) => BitConverter.GetBytes(value);

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
        private readonly int _inputs;

        private Subject(string task)
        {
            (IDataView data, ITransformer model) = task switch
            {
                "binary" => Fit(MLData.Blobs(_ml, 40, seed: 1), _ml.BinaryClassification.Trainers.Backprop(Options([3]))),
                "regression" => Fit(MLData.Wave(_ml, 40, seed: 1), _ml.Regression.Trainers.Backprop(Options([3]))),
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
            // The input standardisation (format 0x00010003) closes the body: int F = the input width, then F (mean, scale) pairs.
            _inputs = net.InputSize;
            Assert.NotNull(net.FeatureMean);
            _standardization = BodyEnd - 4 - (8 * _inputs);
        }

        /// <summary>Where the input standardisation (its count F) starts in the entry.</summary>
        public int StandardizationOffset => _standardization;

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

        private static (IDataView, ITransformer) Fit<T>(IDataView data, IEstimator<T> estimator)
            where T : class, ITransformer => (data, estimator.Fit(data));

        /// <summary>Whether a byte lies in the header's loader assembly name, or in its offset and length fields (0x90 to 0x9C).</summary>
        private bool InAssemblyName(int offset) =>
            (offset >= 0x90 && offset < 0x9C) || (offset >= _assemblyName.Start && offset < _assemblyName.End);

        /// <summary>Whether a byte lies in the activation code, the parameters, the label scaling or the input standardisation: values a valid model may hold.</summary>
        public bool IsWeightOrActivation(int offset) =>
            (offset >= Body + 8 && offset < Body + 12) || (offset >= _parameters && offset < _parameters + 4 * _parameterCount + 4 + 8 * _scalingPairs)
            || (offset >= _standardization + 4 && offset < BodyEnd);

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
