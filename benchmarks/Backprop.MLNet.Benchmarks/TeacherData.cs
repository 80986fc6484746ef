using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// The stream workload's synthetic dense data: row <c>i</c> of a stream has <see cref="Features"/> standard normal float32
/// features, and a Boolean label from a fixed random "teacher" network, <c>t = v·tanh(W·x)</c>, plus normal noise:
/// <c>Label = t + noise &gt; 0</c>. A student network can learn it, but not perfectly (the noise flips some labels). Every row
/// is computed from its own index alone (its generator is seeded with a hash of the data set's seed, the stream and the index),
/// so the rows can be made lazily, in any order, and the same again on every run; nothing is held but the teacher's weights.
/// (The random bits are integer arithmetic; the normal values go through Math.Log, Cos and Sin, whose last bit could differ
/// between platforms, which is why the files are checked against the generator of the machine that reads them.)
/// </summary>
internal sealed class TeacherData
{
    /// <summary>Features per row.</summary>
    public const int Features = 100;

    /// <summary>Hidden units of the teacher network.</summary>
    public const int TeacherHidden = 16;

    /// <summary>The standard deviation of the noise added to the teacher's output (whose own is about 0.7).</summary>
    public const double Noise = 0.3;

    /// <summary>The stream of training rows.</summary>
    public const ulong TrainStream = 0;

    /// <summary>The stream of test rows (the same teacher, other rows).</summary>
    public const ulong TestStream = 1;

    /// <summary>Changes whenever the rows this class makes change, so that files written by an older version are not reused.</summary>
    public const string Version = "teacher-v1";

    private readonly ulong _seed;
    private readonly float[] _weights = new float[TeacherHidden * Features]; // row-major [hidden × features]
    private readonly float[] _output = new float[TeacherHidden];

    /// <summary>Draws the teacher from <paramref name="seed"/>, which also seeds every row.</summary>
    /// <param name="seed">The data set's seed.</param>
    public TeacherData(ulong seed)
    {
        _seed = seed;
        var random = new SplitMix64(Hash(seed, ulong.MaxValue, 0));
        Span<double> pair = stackalloc double[2];
        for (int i = 0; i < _weights.Length; i += 2)
        {
            Normals(random, pair);
            _weights[i] = (float)(pair[0] * 1.5 / Math.Sqrt(Features));
            _weights[i + 1] = (float)(pair[1] * 1.5 / Math.Sqrt(Features));
        }

        for (int j = 0; j < TeacherHidden; j += 2)
        {
            Normals(random, pair);
            _output[j] = (float)(pair[0] / Math.Sqrt(TeacherHidden));
            _output[j + 1] = (float)(pair[1] / Math.Sqrt(TeacherHidden));
        }
    }

    /// <summary>The seed the data set was made from.</summary>
    public ulong Seed => _seed;

    /// <summary>Writes row <paramref name="index"/> of <paramref name="stream"/> into <paramref name="features"/> and returns its label.</summary>
    /// <param name="stream"><see cref="TrainStream"/> or <see cref="TestStream"/>.</param>
    /// <param name="index">The row, from 0.</param>
    /// <param name="features"><see cref="Features"/> values.</param>
    /// <param name="teacherLabel">The teacher's own answer, without the noise (the best any model can do is to give it).</param>
    /// <returns>The label.</returns>
    public bool Row(ulong stream, long index, Span<float> features, out bool teacherLabel)
    {
        var random = new SplitMix64(Hash(_seed, stream, (ulong)index));
        Span<double> pair = stackalloc double[2];
        for (int i = 0; i < Features; i += 2)
        {
            Normals(random, pair);
            features[i] = (float)pair[0];
            features[i + 1] = (float)pair[1];
        }

        double t = 0;
        for (int j = 0; j < TeacherHidden; j++)
        {
            t += _output[j] * Math.Tanh(TensorPrimitives.Dot(_weights.AsSpan(j * Features, Features), features));
        }

        Normals(random, pair);
        teacherLabel = t > 0;
        return t + (Noise * pair[0]) > 0;
    }

    /// <summary>Rows 0 to <paramref name="count"/> − 1 of a stream, each made when it is asked for (a new object each).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="count">The rows.</param>
    /// <returns>The rows, lazily.</returns>
    public IEnumerable<DenseRow> Rows(ulong stream, long count)
    {
        for (long i = 0; i < count; i++)
        {
            var row = new DenseRow { Features = new float[Features] };
            row.Label = Row(stream, i, row.Features, out _);
            yield return row;
        }
    }

    /// <summary>
    /// The rows as a data view that makes them as its cursor moves (never all at once): Label (Boolean) and Features
    /// (a vector of <see cref="Features"/> Single).
    /// </summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="stream">The stream.</param>
    /// <param name="count">The rows.</param>
    /// <returns>The view.</returns>
    public IDataView View(MLContext mlContext, ulong stream, long count) => mlContext.Data.LoadFromEnumerable(Rows(stream, count), DenseRow.Schema());

    /// <summary>The first 64 bits of SplitMix64 seeded with the three values mixed: a well-spread seed for one row.</summary>
    private static ulong Hash(ulong seed, ulong stream, ulong index)
    {
        var mix = new SplitMix64(seed ^ (stream * 0xD1B54A32D192ED03UL));
        ulong a = mix.NextUInt64();
        return new SplitMix64(a ^ (index * 0x9E3779B97F4A7C15UL)).NextUInt64();
    }

    /// <summary>Two independent standard normal values (Box–Muller).</summary>
    private static void Normals(SplitMix64 random, Span<double> pair)
    {
        double u = 1.0 - random.NextDouble(); // (0, 1]: the logarithm stays finite
        double radius = Math.Sqrt(-2.0 * Math.Log(u));
        double angle = 2.0 * Math.PI * random.NextDouble();
        pair[0] = radius * Math.Cos(angle);
        pair[1] = radius * Math.Sin(angle);
    }
}

/// <summary>One row of <see cref="TeacherData"/>.</summary>
internal sealed class DenseRow
{
    /// <summary>The features; the schema gives the vector its known size.</summary>
    public float[] Features { get; set; } = [];

    /// <summary>The label.</summary>
    public bool Label { get; set; }

    /// <summary>The schema: Features a vector of <see cref="TeacherData.Features"/> Single, Label Boolean.</summary>
    /// <returns>The schema definition for LoadFromEnumerable.</returns>
    public static SchemaDefinition Schema()
    {
        var schema = SchemaDefinition.Create(typeof(DenseRow));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, TeacherData.Features);
        return schema;
    }
}
