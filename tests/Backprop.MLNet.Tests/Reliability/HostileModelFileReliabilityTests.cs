using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Backprop.MLNet.MLNet.Persistence;
using Xunit.Abstractions;

namespace Backprop.MLNet.Tests.Reliability;

/// <summary>
/// Model files a user did not make: the BackpropModelParameters entry inside an otherwise valid zip is cut,
/// mutated at random and forged field by field. Every load must end in one of two ways: a clear exception, or a
/// model that scores exactly as the original (or, when only the weights or the activation changed, a model that
/// holds exactly what the file says). No hang, no crash, no large allocation.
/// </summary>
public sealed partial class HostileModelFileReliabilityTests(ITestOutputHelper output)
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
    /// Forged fields of format 0x00010004, just before the hidden form: the validation scores (int V, then V × (flag,
    /// double)) and the class values (flag; for multiclass the type, the count and the values, each string an int length and
    /// UTF-8 bytes).
    /// Every one is refused with a FormatException naming it, and no count or length is trusted before the bytes are there.
    /// The multiclass subject's classes are 'red', 'green', 'blue' (String): flag +0, type length +1, "String" +5, count +11,
    /// value 0's length +15, its bytes +19.
    /// </summary>
    public static TheoryData<string, string, int, byte[], string> ForgedVersion4Fields() => new()
    {
        { "binary", "scores", 0, I32(2), "the number of validation scores" },           // V must be E = 3
        { "binary", "scores", 0, I32(-1), "the number of validation scores" },
        { "binary", "scores", 0, I32(int.MaxValue), "the number of validation scores" },
        { "binary", "scores", 4, [2], "validation score 0" },                            // flag 2
        { "binary", "scores", 4 + 9, [1], "validation score 1" },                        // a score in a report without a validation loss
        { "binary-validated", "scores", 5, F64(double.PositiveInfinity), "validation score 0" },
        { "binary-validated", "scores", 5 + 9, F64(1.5), "validation score 1" },         // accuracy and R² are at most 1
        { "binary", "classes", 0, [1], "the class values flag" },                        // class values on a binary model
        { "multiclass", "classes", 0, [2], "the class values flag" },
        { "multiclass", "classes", 1, I32(-1), "the length of the class values' type" },
        { "multiclass", "classes", 1, I32(int.MaxValue), "the class values' type's bytes need" },
        { "multiclass", "classes", 11, I32(4), "the number of class values" },           // must be the output width, 3
        { "multiclass", "classes", 11, I32(int.MaxValue), "the number of class values" },
        { "multiclass", "classes", 15, I32(1 << 30), "class value 0's bytes need" },    // a length past the end of the entry
        { "multiclass", "classes", 15, I32(-7), "the length of class value 0" },
        { "multiclass", "classes", 19, [0xFF], "class value 0 is not UTF-8 text" },
    };

    [Theory]
    [MemberData(nameof(ForgedVersion4Fields))]
    public void ForgedVersion4FieldThrowsAFormatExceptionNamingIt(string task, string section, int offset, byte[] bytes, string expected)
    {
        Subject subject = Subject.Make(task);
        byte[] entry = subject.Entry;
        bytes.CopyTo(entry, (section == "scores" ? subject.ValidationScoresOffset : subject.ClassesOffset) + offset);
        Outcome outcome = subject.Load(entry, $"{task}: [{string.Join(", ", bytes)}] at {section} + {offset}");
        Assert.True(outcome.Error is FormatException, outcome.Error?.ToString() ?? "loaded");
        Assert.Contains(expected, outcome.Error!.Message);
    }

    /// <summary>
    /// The hidden form of format 0x00010005, the body's last field: 1 (GELU by tanh) on a network that is not GELU, and any
    /// value but 0 and 1, are refused with a FormatException naming it; the subjects (ReLU) write 0 there.
    /// </summary>
    [Theory]
    [InlineData("binary", 1)]
    [InlineData("multiclass", 2)]
    [InlineData("regression", -1)]
    public void ForgedHiddenFormThrowsAFormatExceptionNamingIt(string task, int form)
    {
        Subject subject = Subject.Make(task);
        byte[] entry = subject.Entry;
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(subject.HiddenFormOffset)));
        I32(form).CopyTo(entry, subject.HiddenFormOffset);
        Outcome outcome = subject.Load(entry, $"{task}: hidden form {form}");
        Assert.True(outcome.Error is FormatException, outcome.Error?.ToString() ?? "loaded");
        Assert.Contains("the hidden form", outcome.Error!.Message);
    }

    /// <summary>The subjects' entries end as the offsets above say: the multiclass subject's classes and the validated subject's scores.</summary>
    [Fact]
    public void TheVersion4FieldsAreWhereTheForgedTestsWriteThem()
    {
        byte[] multiclass = Subject.Make("multiclass").Entry;
        int at = Subject.Make("multiclass").ClassesOffset;
        Assert.Equal(1, multiclass[at]);
        Assert.Equal("String", Encoding.UTF8.GetString(multiclass, at + 5, BinaryPrimitives.ReadInt32LittleEndian(multiclass.AsSpan(at + 1))));
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(multiclass.AsSpan(at + 11)));
        Assert.Equal("red", Encoding.UTF8.GetString(multiclass, at + 19, BinaryPrimitives.ReadInt32LittleEndian(multiclass.AsSpan(at + 15))));

        Subject validated = Subject.Make("binary-validated");
        byte[] entry = validated.Entry;
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(validated.ValidationScoresOffset)));
        Assert.Equal(1, entry[validated.ValidationScoresOffset + 4]);
        Assert.InRange(BinaryPrimitives.ReadDoubleLittleEndian(entry.AsSpan(validated.ValidationScoresOffset + 5)), 0, 1);
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
    [InlineData(0x4C, ModelFormat.CurrentVersion + 1, false)] // ModelVerReadable: needs a newer BackpropModelParameters reader
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

    private static byte[] F64(double value) => BitConverter.GetBytes(value);
}
