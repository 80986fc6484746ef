using System.Runtime.InteropServices;
using System.Text;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Training;

namespace Backprop.MLNet.MLNet.Persistence;

/// <summary>
/// The binary layout of <see cref="BackpropModelParameters"/> inside an ML.NET model file (the "Model" entry
/// of the BackpropModelParameters sub-model), and its defensive reader.
/// </summary>
/// <remarks>
/// *** Binary format *** (model signature "BPROPMDL", all little-endian)
/// <code>
/// int      sizeof(float) = 4 (written by ML.NET's ModelParametersBase)
/// int      task: 1 binary classification, 2 multiclass classification, 3 regression (since 0x00010004 also 4 multilabel
///          classification)
/// int      hidden activation: 0 identity, 1 sigmoid, 2 tanh, 3 relu (since 0x00010002 also any later Activation value)
/// int      L: number of layer widths, input and output included (3 ≤ L ≤ MaxLayers)
/// int[L]   widths, input first (1 ≤ width ≤ MaxWidth); the output width fits the task (1, ≥ 2, ≥ 1, ≥ 1)
/// long     P: number of parameters, = Σ over weight layers (inputs·outputs + outputs)
/// float[P] parameters, per weight layer: weights row-major [outputs × inputs] then biases; all finite
/// -- since 0x00010002 --
/// int      S: label scaling pairs, 0 or the output width (regression only)
/// S ×      { float mean; float standard deviation (finite, > 0) }: the network predicts (y − mean) / sd
/// int      stop reason (TrainingStopReason, 0 to 6)
/// -- all versions --
/// int      E: number of epoch reports
/// E ×      { int epoch (≥ 1); double training loss; byte has validation loss (0/1);
///            double validation loss; double learning rate; long elapsed ticks (≥ 0) }
/// -- since 0x00010002: the training checkpoint, for an exact warm start --
/// byte     has checkpoint (0/1); if 1:
///   int    optimizer: -1 none, 0 SGD, 1 Adam;  if not -1: int B buffers (1 or 2); long steps (≥ 0); B × float[P]
///   ulong[4] shuffling generator state (not all zero)
///   long   rows seen (≥ 0); double learning rate (> 0); double best criterion; int epochs without improvement (≥ 0)
/// -- since 0x00010003: the standardisation of the inputs --
/// int      F: 0, or the input width when the network was trained on standardised inputs
/// F ×      { float mean (finite); float scale (finite, > 0) }: the parameters above are then those of the network on
///          (x − mean) / scale, and the model predicts with them folded into the first layer (InputStandardization.Fold)
/// -- since 0x00010004: the validation scores of the history, and the classes of a multiclass model --
/// int      V: number of validation scores, = E
/// V ×      { byte has validation score (0/1; 1 only in a report that has a validation loss);
///            double validation score (accuracy, or R² for regression: ≤ 1; 0 when absent) }: of epoch report i
/// byte     has class values (0/1; 1 only for multiclass classification); if 1:
///   string item type: the name of the label's key value type (e.g. "String", "Single")
///   int    K: number of class values, = the output width
///   K ×    string: the class of output i (key i + 1), as text (ClassValues)
/// -- since 0x00010005: the hidden form --
/// int      0: the activation as training computes it (GELU: z·σ(2u) on the engine's exponential, on vectors); 1: GELU by
///          MathF.Tanh, one value at a time (only with activation 5, GELU), how every GELU model of an older version
///          predicts, and so what such a model keeps when it is saved again. Before 0x00010005: 1 for GELU, else 0.
/// string = int N (≥ 0) then N bytes of UTF-8
/// </code>
/// Version history (ML.NET's VersionInfo of BackpropModelParameters): 0x00010001 first version;
/// 0x00010002 label scaling, stop reason, training checkpoint, activations after relu; 0x00010003 input
/// standardisation; 0x00010004 validation scores, class values, the multilabel task (task code 4); 0x00010005 the hidden form
/// (GELU models predict on vectors). All five are read (a file before 0x00010004 has no validation scores and no class values;
/// task code 4 in a file of an older version is refused; a GELU model before 0x00010005 predicts by MathF.Tanh).
/// Every field is checked as it is read, and every count against the bytes that remain, before anything is
/// allocated: a truncated or corrupted entry gives a <see cref="FormatException"/>, never a huge allocation
/// (the reader is in ModelFormat.Read.cs).
/// </remarks>
internal static partial class ModelFormat
{
    /// <summary>The first version: network, history.</summary>
    public const uint FirstVersion = 0x00010001;

    /// <summary>Label scaling, stop reason, training checkpoint, activations after relu.</summary>
    public const uint CheckpointVersion = 0x00010002;

    /// <summary>The standardisation of the inputs.</summary>
    public const uint StandardizationVersion = 0x00010003;

    /// <summary>The validation score of every epoch report, the class values of a multiclass model, the multilabel task.</summary>
    public const uint ClassValuesVersion = 0x00010004;

    /// <summary>The multilabel task (task code 4): the same version as the validation scores and class values.</summary>
    public const uint MultilabelVersion = ClassValuesVersion;

    /// <summary>The hidden form, the layout's last field: GELU models from this version on predict as training computes.</summary>
    public const uint HiddenFormVersion = 0x00010005;

    /// <summary>The version this code writes.</summary>
    public const uint CurrentVersion = HiddenFormVersion;

    /// <summary>The oldest version this code reads.</summary>
    public const uint OldestReadableVersion = FirstVersion;

    /// <summary>The most layers a saved network may have.</summary>
    public const int MaxLayers = 1024;

    /// <summary>The widest layer a saved network may have.</summary>
    public const int MaxWidth = 1 << 24;

    private const int EpochReportBytes = 4 + 8 + 1 + 8 + 8 + 8;

    private const int ValidationScoreBytes = 1 + 8;

    /// <summary>UTF-8 that throws on bytes that are not UTF-8 (the reader turns that into a FormatException).</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>What a model entry holds.</summary>
    /// <param name="Task">The task the network was trained for.</param>
    /// <param name="Network">The network.</param>
    /// <param name="Scaling">The label standardisation of a regression model, or null.</param>
    /// <param name="History">One record per epoch.</param>
    /// <param name="StopReason">Why the last training stopped.</param>
    /// <param name="Checkpoint">Where training stopped, for an exact warm start; null when unknown.</param>
    /// <param name="Standardization">The standardisation of the inputs the network was trained on, or null (then it predicts as it is).</param>
    /// <param name="Classes">What the outputs of a multiclass model mean, or null (other tasks, a label without key values, older files).</param>
    public sealed record Contents(
        BackpropTask Task,
        Network Network,
        LabelScaling? Scaling,
        IReadOnlyList<EpochRecord> History,
        StopReason StopReason,
        TrainingCheckpoint? Checkpoint,
        InputStandardization? Standardization = null,
        ClassValues? Classes = null);

    // *** Binary format ***: the layout in the class remarks, written field by field in that order.
    /// <summary>Writes the layout above (after the base's sizeof(float), which the caller has written).</summary>
    public static void Write(BinaryWriter writer, Contents model)
    {
        Network network = model.Network;
        writer.Write((int)model.Task);
        writer.Write((int)network.Activation);
        writer.Write(network.LayerSizes.Count);
        foreach (int width in network.LayerSizes)
        {
            writer.Write(width);
        }

        writer.Write((long)network.ParameterCount);
        writer.Write(MemoryMarshal.AsBytes(network.Parameters.AsSpan()));

        int pairs = model.Scaling?.Mean.Length ?? 0;
        writer.Write(pairs);
        for (int i = 0; i < pairs; i++)
        {
            writer.Write(model.Scaling!.Mean[i]);
            writer.Write(model.Scaling.StandardDeviation[i]);
        }

        writer.Write((int)model.StopReason);
        writer.Write(model.History.Count);
        foreach (EpochRecord report in model.History)
        {
            writer.Write(report.Epoch);
            writer.Write(report.TrainingLoss);
            writer.Write((byte)(report.ValidationLoss.HasValue ? 1 : 0));
            writer.Write(report.ValidationLoss ?? 0.0);
            writer.Write(report.LearningRate);
            writer.Write(report.Elapsed.Ticks);
        }

        WriteCheckpoint(writer, model.Checkpoint);

        int standardized = model.Standardization?.Width ?? 0;
        writer.Write(standardized);
        for (int i = 0; i < standardized; i++)
        {
            writer.Write(model.Standardization!.Mean[i]);
            writer.Write(model.Standardization.Scale[i]);
        }

        writer.Write(model.History.Count);
        foreach (EpochRecord report in model.History)
        {
            writer.Write((byte)(report.ValidationScore.HasValue ? 1 : 0));
            writer.Write(report.ValidationScore ?? 0.0);
        }

        WriteClasses(writer, model.Classes);
        writer.Write(network.PredictsGeluByTanh ? 1 : 0);
    }

    private static void WriteClasses(BinaryWriter writer, ClassValues? classes)
    {
        writer.Write((byte)(classes is null ? 0 : 1));
        if (classes is null)
        {
            return;
        }

        WriteString(writer, classes.ItemType);
        writer.Write(classes.Values.Count);
        foreach (string value in classes.Values)
        {
            WriteString(writer, value);
        }
    }

    /// <summary>A string as the layout has it: its UTF-8 byte count (int), then the bytes.</summary>
    private static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value); // a lone surrogate (not text) becomes U+FFFD
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static void WriteCheckpoint(BinaryWriter writer, TrainingCheckpoint? checkpoint)
    {
        writer.Write((byte)(checkpoint?.RandomState is null ? 0 : 1));
        if (checkpoint?.RandomState is null)
        {
            return;
        }

        OptimizerState? optimizer = checkpoint.Optimizer;
        writer.Write(optimizer is null ? -1 : (int)optimizer.Optimizer);
        if (optimizer is not null)
        {
            writer.Write(optimizer.Buffers.Length);
            writer.Write(optimizer.Steps);
            foreach (float[] buffer in optimizer.Buffers)
            {
                writer.Write(MemoryMarshal.AsBytes(buffer.AsSpan()));
            }
        }

        foreach (ulong word in checkpoint.RandomState)
        {
            writer.Write(word);
        }

        writer.Write(checkpoint.SamplesSeen);
        writer.Write(checkpoint.LearningRate ?? 0.0);
        writer.Write(checkpoint.BestCriterion);
        writer.Write(checkpoint.NoImprovementCount);
    }
}
