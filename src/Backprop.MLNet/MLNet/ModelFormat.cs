using System.Runtime.InteropServices;
using Backprop.MLNet.Engine;

namespace Backprop.MLNet;

/// <summary>
/// The binary layout of <see cref="BackpropModelParameters"/> inside an ML.NET model file (the "Model" entry
/// of the BackpropModelParameters sub-model), and its defensive reader.
/// </summary>
/// <remarks>
/// *** Binary format *** (model signature "BPROPMDL", all little-endian)
/// <code>
/// int      sizeof(float) = 4 (written by ML.NET's ModelParametersBase)
/// int      task: 1 binary classification, 2 multiclass classification, 3 regression
/// int      hidden activation: 0 identity, 1 sigmoid, 2 tanh, 3 relu
/// int      L: number of layer widths, input and output included (3 ≤ L ≤ MaxLayers)
/// int[L]   widths, input first (1 ≤ width ≤ MaxWidth); the output width fits the task (1, ≥ 2, 1)
/// long     P: number of parameters, = Σ over weight layers (inputs·outputs + outputs)
/// float[P] parameters, per weight layer: weights row-major [outputs × inputs] then biases; all finite
/// int      E: number of epoch reports
/// E ×      { int epoch (≥ 1); double training loss; byte has validation loss (0/1);
///            double validation loss; double learning rate; long elapsed ticks (≥ 0) }
/// </code>
/// Version history (ML.NET's VersionInfo of BackpropModelParameters): 0x00010001 first version.
/// Every field is checked as it is read, and every count against the bytes that remain, before anything is
/// allocated: a truncated or corrupted entry gives a <see cref="FormatException"/>, never a huge allocation.
/// </remarks>
internal static class ModelFormat
{
    /// <summary>The most layers a saved network may have.</summary>
    public const int MaxLayers = 1024;

    /// <summary>The widest layer a saved network may have.</summary>
    public const int MaxWidth = 1 << 24;

    private const int EpochReportBytes = 4 + 8 + 1 + 8 + 8 + 8;

    /// <summary>What a model entry holds.</summary>
    public sealed record Contents(BackpropTask Task, Network Network, IReadOnlyList<EpochReport> History);

    // *** Binary format ***: the layout in the class remarks, written field by field in that order.
    /// <summary>Writes the layout above (after the base's sizeof(float), which the caller has written).</summary>
    public static void Write(BinaryWriter writer, BackpropTask task, Network network, IReadOnlyList<EpochReport> history)
    {
        writer.Write((int)task);
        writer.Write((int)network.Activation);
        writer.Write(network.LayerSizes.Count);
        foreach (int width in network.LayerSizes)
            writer.Write(width);
        writer.Write((long)network.ParameterCount);
        writer.Write(MemoryMarshal.AsBytes(network.Parameters.AsSpan()));
        writer.Write(history.Count);
        foreach (EpochReport report in history)
        {
            writer.Write(report.Epoch);
            writer.Write(report.TrainingLoss);
            writer.Write((byte)(report.ValidationLoss.HasValue ? 1 : 0));
            writer.Write(report.ValidationLoss ?? 0.0);
            writer.Write(report.LearningRate);
            writer.Write(report.Elapsed.Ticks);
        }
    }

    // *** Binary format ***: the layout in the class remarks, read and checked field by field in that order.
    /// <summary>Reads and checks the layout above, starting with the base's sizeof(float).</summary>
    public static Contents Read(BinaryReader reader)
    {
        try
        {
            return ReadCore(reader);
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("The Backprop model data is truncated: the stream ended inside the model parameters.", e);
        }
    }

    private static Contents ReadCore(BinaryReader reader)
    {
        int floatSize = reader.ReadInt32();
        if (floatSize != sizeof(float))
            throw Errors.Corrupt("sizeof(float)", floatSize, "4");

        int taskCode = reader.ReadInt32();
        if (taskCode is < 1 or > 3)
            throw Errors.Corrupt("the task code", taskCode, "1, 2 or 3");
        var task = (BackpropTask)taskCode;

        int activationCode = reader.ReadInt32();
        if (activationCode is < 0 or > 3)
            throw Errors.Corrupt("the activation code", activationCode, "0 to 3");

        int layers = reader.ReadInt32();
        if (layers < 3 || layers > MaxLayers)
            throw Errors.Corrupt("the number of layer widths", layers, $"3 to {MaxLayers}");
        CheckRemaining(reader, 4L * layers, "layer widths");
        var widths = new int[layers];
        long expectedParameters = 0;
        for (int i = 0; i < layers; i++)
        {
            widths[i] = reader.ReadInt32();
            if (widths[i] < 1 || widths[i] > MaxWidth)
                throw Errors.Corrupt($"layer width {i}", widths[i], $"1 to {MaxWidth}");
            if (i > 0)
                expectedParameters += ((long)widths[i - 1] + 1) * widths[i];
        }

        int outputs = widths[^1];
        bool outputFits = task switch
        {
            BackpropTask.MulticlassClassification => outputs >= 2,
            _ => outputs == 1,
        };
        if (!outputFits)
            throw Errors.Corrupt("the output width", outputs, $"a width that a {task} network has");

        long parameterCount = reader.ReadInt64();
        if (parameterCount != expectedParameters)
            throw Errors.Corrupt("the parameter count", parameterCount, $"{expectedParameters} for layer widths [{string.Join(", ", widths)}]");
        if (parameterCount > Array.MaxLength)
            throw Errors.Corrupt("the parameter count", parameterCount, $"at most {Array.MaxLength}");
        CheckRemaining(reader, 4L * parameterCount, "parameters");
        var parameters = new float[parameterCount];
        ReadExactly(reader, MemoryMarshal.AsBytes(parameters.AsSpan()));
        for (int i = 0; i < parameters.Length; i++)
        {
            if (!float.IsFinite(parameters[i]))
                throw Errors.Corrupt($"parameter {i}", parameters[i], "a finite number");
        }

        int reports = reader.ReadInt32();
        if (reports < 0)
            throw Errors.Corrupt("the number of epoch reports", reports, "at least 0");
        CheckRemaining(reader, (long)EpochReportBytes * reports, "epoch reports");
        var history = new EpochReport[reports];
        for (int i = 0; i < reports; i++)
        {
            int epoch = reader.ReadInt32();
            double trainingLoss = reader.ReadDouble();
            byte hasValidation = reader.ReadByte();
            double validationLoss = reader.ReadDouble();
            double learningRate = reader.ReadDouble();
            long ticks = reader.ReadInt64();
            if (epoch < 1 || hasValidation > 1 || ticks < 0)
                throw Errors.Corrupt($"epoch report {i}", $"epoch {epoch}, validation flag {hasValidation}, ticks {ticks}",
                    "an epoch ≥ 1, a flag of 0 or 1 and ticks ≥ 0");
            history[i] = new EpochReport
            {
                Epoch = epoch,
                TrainingLoss = trainingLoss,
                ValidationLoss = hasValidation == 1 ? validationLoss : null,
                LearningRate = learningRate,
                Elapsed = TimeSpan.FromTicks(ticks),
            };
        }

        var network = Network.FromParameters(widths, (Activation)activationCode, OutputKindOf(task), parameters);
        return new Contents(task, network, history);
    }

    /// <summary>The output layer (and loss) that goes with each task.</summary>
    public static OutputKind OutputKindOf(BackpropTask task) => task switch
    {
        BackpropTask.BinaryClassification => OutputKind.Sigmoid,
        BackpropTask.MulticlassClassification => OutputKind.Softmax,
        BackpropTask.Regression => OutputKind.Identity,
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "The task must be resolved before the network is built."),
    };

    private static void CheckRemaining(BinaryReader reader, long needed, string what)
    {
        Stream stream = reader.BaseStream;
        if (stream.CanSeek && needed > stream.Length - stream.Position)
            throw new FormatException($"The Backprop model data is truncated: {what} need {needed} bytes but only {stream.Length - stream.Position} remain.");
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int read = reader.Read(destination);
            if (read == 0)
                throw new EndOfStreamException();
            destination = destination[read..];
        }
    }
}
