using System.Runtime.InteropServices;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Training;

namespace Backprop.MLNet.MLNet.Persistence;

/// <summary>The defensive reader of the layout documented on <see cref="ModelFormat"/> (in ModelFormat.cs).</summary>
internal static partial class ModelFormat
{
    // *** Binary format ***: the layout in the class remarks, read and checked field by field in that order.
    /// <summary>Reads and checks the layout above, starting with the base's sizeof(float).</summary>
    /// <param name="reader">The entry's reader.</param>
    /// <param name="version">The version the entry was written with (ML.NET's header).</param>
    public static Contents Read(BinaryReader reader, uint version)
    {
        try
        {
            return ReadCore(reader, version);
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("The Backprop model data is truncated: the stream ended inside the model parameters.", e);
        }
    }

    private static Contents ReadCore(BinaryReader reader, uint version)
    {
        int floatSize = reader.ReadInt32();
        if (floatSize != sizeof(float))
        {
            throw Errors.Corrupt("sizeof(float)", floatSize, "4");
        }

        int taskCode = reader.ReadInt32();
        int maxTask = version >= MultilabelVersion ? (int)BackpropTask.MultilabelClassification : (int)BackpropTask.Regression;
        if (taskCode < 1 || taskCode > maxTask)
        {
            throw Errors.Corrupt("the task code", taskCode, version >= MultilabelVersion
                ? "1, 2, 3 or 4"
                : $"1, 2 or 3 in a file of version 0x{version:X8} (4, multilabel, is read from version 0x{MultilabelVersion:X8} on)");
        }

        var task = (BackpropTask)taskCode;

        int activationCode = reader.ReadInt32();
        int maxActivation = version >= CheckpointVersion ? Enum.GetValues<ActivationKind>().Cast<int>().Max() : (int)ActivationKind.Relu;
        if (activationCode < 0 || activationCode > maxActivation)
        {
            throw Errors.Corrupt("the activation code", activationCode, $"0 to {maxActivation}");
        }

        int layers = reader.ReadInt32();
        if (layers < 3 || layers > MaxLayers)
        {
            throw Errors.Corrupt("the number of layer widths", layers, $"3 to {MaxLayers}");
        }

        CheckRemaining(reader, 4L * layers, "layer widths");
        var widths = new int[layers];
        long expectedParameters = 0;
        for (int i = 0; i < layers; i++)
        {
            widths[i] = reader.ReadInt32();
            if (widths[i] < 1 || widths[i] > MaxWidth)
            {
                throw Errors.Corrupt($"layer width {i}", widths[i], $"1 to {MaxWidth}");
            }

            if (i > 0)
            {
                expectedParameters += ((long)widths[i - 1] + 1) * widths[i];
            }
        }

        int outputs = widths[^1];
        bool outputFits = task switch
        {
            BackpropTask.MulticlassClassification => outputs >= 2,
            BackpropTask.BinaryClassification => outputs == 1,
            _ => outputs >= 1,
        };
        if (!outputFits)
        {
            throw Errors.Corrupt("the output width", outputs, $"a width that a {task} network has");
        }

        long parameterCount = reader.ReadInt64();
        if (parameterCount != expectedParameters)
        {
            throw Errors.Corrupt("the parameter count", parameterCount, $"{expectedParameters} for layer widths [{string.Join(", ", widths)}]");
        }

        float[] parameters = ReadFloats(reader, parameterCount, "parameter");

        LabelScaling? scaling = null;
        var stopReason = StopReason.EpochLimit;
        if (version >= CheckpointVersion)
        {
            scaling = ReadScaling(reader, task, outputs);
            int reasonCode = reader.ReadInt32();
            int maxReason = Enum.GetValues<StopReason>().Cast<int>().Max();
            if (reasonCode < 0 || reasonCode > maxReason)
            {
                throw Errors.Corrupt("the stop reason", reasonCode, $"0 to {maxReason}");
            }

            stopReason = (StopReason)reasonCode;
        }

        EpochRecord[] history = ReadHistory(reader);
        // A GELU model of a version before the hidden form predicts by tanh; from that version on, the form says (at the end).
        var activation = (ActivationKind)activationCode;
        bool gelu = activation == ActivationKind.Gelu;
        var network = Network.Adopt(widths, activation, EngineMapping.OutputKindOf(task), parameters, geluByTanh: gelu && version < HiddenFormVersion);
        TrainingCheckpoint? checkpoint = version >= CheckpointVersion ? ReadCheckpoint(reader, network, history) : null;
        InputStandardization? standardization = version >= StandardizationVersion ? ReadStandardization(reader, widths[0]) : null;
        ClassValues? classes = null;
        if (version >= ClassValuesVersion)
        {
            ReadValidationScores(reader, history); // into the records, which the checkpoint's history shares
            classes = ReadClasses(reader, task, outputs);
        }

        if (version >= HiddenFormVersion && ReadHiddenForm(reader, gelu))
        {
            // GELU by tanh (a model of an older version, saved again): the same parameters in that prediction form.
            network = Network.Adopt(widths, activation, network.OutputKind, network.Parameters, geluByTanh: true); // the first object is dropped
            checkpoint = checkpoint?.WithNetwork(network);
        }

        return new Contents(task, network, scaling, history, stopReason, checkpoint, standardization, classes);
    }

    /// <summary>Reads the hidden form: whether a GELU network predicts by tanh (1); 0 for the form training computes.</summary>
    private static bool ReadHiddenForm(BinaryReader reader, bool gelu)
    {
        int form = reader.ReadInt32();
        if (form != 0 && !(form == 1 && gelu))
        {
            throw Errors.Corrupt("the hidden form", form, gelu ? "0 or 1" : "0 (1 is for GELU only)");
        }

        return form == 1;
    }

    private static InputStandardization? ReadStandardization(BinaryReader reader, int inputs)
    {
        int width = reader.ReadInt32();
        if (width == 0)
        {
            return null;
        }

        if (width != inputs)
        {
            throw Errors.Corrupt("the number of input standardisation pairs", width, $"0 or the input width {inputs}");
        }

        CheckRemaining(reader, 8L * width, "input standardisation");
        var mean = new float[width];
        var scale = new float[width];
        for (int i = 0; i < width; i++)
        {
            mean[i] = reader.ReadSingle();
            scale[i] = reader.ReadSingle();
            if (!float.IsFinite(mean[i]) || !(scale[i] > 0) || !float.IsFinite(scale[i]))
            {
                throw Errors.Corrupt($"input standardisation pair {i}", $"mean {mean[i]}, scale {scale[i]}", "a finite mean and a finite scale > 0");
            }
        }

        return new InputStandardization(mean, scale);
    }

    private static LabelScaling? ReadScaling(BinaryReader reader, BackpropTask task, int outputs)
    {
        int pairs = reader.ReadInt32();
        if (pairs == 0)
        {
            return null;
        }

        if (task != BackpropTask.Regression || pairs != outputs)
        {
            throw Errors.Corrupt("the number of label scaling pairs", pairs, task == BackpropTask.Regression ? $"0 or {outputs}" : "0 for a classifier");
        }

        CheckRemaining(reader, 8L * pairs, "label scaling");
        var mean = new float[pairs];
        var deviation = new float[pairs];
        for (int i = 0; i < pairs; i++)
        {
            mean[i] = reader.ReadSingle();
            deviation[i] = reader.ReadSingle();
            if (!float.IsFinite(mean[i]) || !(deviation[i] > 0) || !float.IsFinite(deviation[i]))
            {
                throw Errors.Corrupt($"label scaling pair {i}", $"mean {mean[i]}, deviation {deviation[i]}", "a finite mean and a finite deviation > 0");
            }
        }

        return new LabelScaling(mean, deviation);
    }

    private static EpochRecord[] ReadHistory(BinaryReader reader)
    {
        int reports = reader.ReadInt32();
        if (reports < 0)
        {
            throw Errors.Corrupt("the number of epoch reports", reports, "at least 0");
        }

        CheckRemaining(reader, (long)EpochReportBytes * reports, "epoch reports");
        var history = new EpochRecord[reports];
        for (int i = 0; i < reports; i++)
        {
            int epoch = reader.ReadInt32();
            double trainingLoss = reader.ReadDouble();
            byte hasValidation = reader.ReadByte();
            double validationLoss = reader.ReadDouble();
            double learningRate = reader.ReadDouble();
            long ticks = reader.ReadInt64();
            if (epoch < 1 || hasValidation > 1 || ticks < 0)
            {
                throw Errors.Corrupt($"epoch report {i}", $"epoch {epoch}, validation flag {hasValidation}, ticks {ticks}",
                    "an epoch ≥ 1, a flag of 0 or 1 and ticks ≥ 0");
            }

            // The validation score, since 0x00010004, follows later in the layout (ReadValidationScores).
            history[i] = new EpochRecord(epoch, trainingLoss, hasValidation == 1 ? validationLoss : null, null, learningRate, TimeSpan.FromTicks(ticks));
        }

        return history;
    }

    private static TrainingCheckpoint? ReadCheckpoint(BinaryReader reader, Network network, EpochRecord[] history)
    {
        byte has = reader.ReadByte();
        if (has > 1)
        {
            throw Errors.Corrupt("the checkpoint flag", has, "0 or 1");
        }

        if (has == 0)
        {
            return null;
        }

        int solver = reader.ReadInt32();
        if (solver is < -1 or > (int)OptimizerKind.Adam)
        {
            throw Errors.Corrupt("the optimizer code", solver, "-1, 0 or 1");
        }

        OptimizerState? optimizer = null;
        if (solver >= 0)
        {
            int buffers = reader.ReadInt32();
            int expected = solver == (int)OptimizerKind.Sgd ? 1 : 2;
            if (buffers != expected)
            {
                throw Errors.Corrupt("the number of optimizer buffers", buffers, expected.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            long steps = reader.ReadInt64();
            if (steps < 0)
            {
                throw Errors.Corrupt("the optimizer step count", steps, "at least 0");
            }

            var state = new float[buffers][];
            for (int b = 0; b < buffers; b++)
            {
                state[b] = ReadFloats(reader, network.ParameterCount, $"optimizer buffer {b} value");
            }

            optimizer = new OptimizerState((OptimizerKind)solver, state, steps);
        }

        var random = new ulong[4];
        for (int i = 0; i < 4; i++)
        {
            random[i] = reader.ReadUInt64();
        }

        if ((random[0] | random[1] | random[2] | random[3]) == 0)
        {
            throw Errors.Corrupt("the shuffling generator state", "all zero", "a state that is not all zero");
        }

        long samplesSeen = reader.ReadInt64();
        double learningRate = reader.ReadDouble();
        double bestCriterion = reader.ReadDouble();
        int noImprovement = reader.ReadInt32();
        if (samplesSeen < 0 || !(learningRate > 0) || !double.IsFinite(learningRate) || double.IsNaN(bestCriterion) || noImprovement < 0)
        {
            throw Errors.Corrupt("the training counters", $"rows seen {samplesSeen}, learning rate {learningRate}, best {bestCriterion}, count {noImprovement}",
                "rows ≥ 0, a finite learning rate > 0, a best criterion that is a number, a count ≥ 0");
        }

        return new TrainingCheckpoint
        {
            Network = network,
            Optimizer = optimizer,
            RandomState = random,
            SamplesSeen = samplesSeen,
            LearningRate = learningRate,
            BestCriterion = bestCriterion,
            NoImprovementCount = noImprovement,
            History = history,
        };
    }

    private static float[] ReadFloats(BinaryReader reader, long count, string what)
    {
        if (count > Array.MaxLength)
        {
            throw Errors.Corrupt($"the number of {what}s", count, $"at most {Array.MaxLength}");
        }

        CheckRemaining(reader, 4L * count, what + "s");
        float[] values = LargeArrays.Allocate<float>(count); // a large network's parameters or state: huge pages, fewer first-write faults
        ReadExactly(reader, MemoryMarshal.AsBytes(values.AsSpan()));
        if (TargetReaders.AllFinite(values))
        {
            return values;
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw Errors.Corrupt($"{what} {i}", values[i], "a finite number");
            }
        }

        return values;
    }

    private static void CheckRemaining(BinaryReader reader, long needed, string what)
    {
        Stream stream = reader.BaseStream;
        if (stream.CanSeek && needed > stream.Length - stream.Position)
        {
            throw new FormatException($"The Backprop model data is truncated: {what} need {needed} bytes but only {stream.Length - stream.Position} remain.");
        }

        if (!stream.CanSeek && needed > (1L << 30))
        {
            throw new FormatException($"The Backprop model data claims {needed} bytes of {what}; more than 1 GiB is not read from a stream of unknown length.");
        }
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int read = reader.Read(destination);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            destination = destination[read..];
        }
    }
}
