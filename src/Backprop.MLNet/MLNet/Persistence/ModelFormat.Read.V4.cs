using System.Text;
using Backprop.MLNet.Training;

namespace Backprop.MLNet.MLNet.Persistence;

/// <summary>The reader of the fields added in <see cref="ModelFormat.ClassValuesVersion"/>: validation scores and class values.</summary>
internal static partial class ModelFormat
{
    /// <summary>Reads the validation score of every epoch report into <paramref name="history"/>.</summary>
    private static void ReadValidationScores(BinaryReader reader, EpochRecord[] history)
    {
        int count = reader.ReadInt32();
        if (count != history.Length)
        {
            throw Errors.Corrupt("the number of validation scores", count, $"the number of epoch reports, {history.Length}");
        }

        CheckRemaining(reader, (long)ValidationScoreBytes * count, "validation scores");
        for (int i = 0; i < count; i++)
        {
            byte has = reader.ReadByte();
            double score = reader.ReadDouble();
            // Accuracy and R² are at most 1. NaN is let through, as in the validation loss: what a diverging validation pass measured.
            if (has > 1 || (has == 1 && (score > 1 || history[i].ValidationLoss is null)))
            {
                throw Errors.Corrupt($"validation score {i}", $"flag {has}, score {score}",
                    "a flag of 0, or 1 with a score ≤ 1 in a report that has a validation loss");
            }

            history[i] = history[i] with { ValidationScore = has == 1 ? score : null };
        }
    }

    private static ClassValues? ReadClasses(BinaryReader reader, BackpropTask task, int outputs)
    {
        byte has = reader.ReadByte();
        if (has > 1 || (has == 1 && task != BackpropTask.MulticlassClassification))
        {
            throw Errors.Corrupt("the class values flag", has, task == BackpropTask.MulticlassClassification ? "0 or 1" : "0 for a model that is not multiclass");
        }

        if (has == 0)
        {
            return null;
        }

        string itemType = ReadString(reader, "the class values' type");
        int count = reader.ReadInt32();
        if (count != outputs)
        {
            throw Errors.Corrupt("the number of class values", count, $"the output width, {outputs}");
        }

        CheckRemaining(reader, 4L * count, "class values"); // each at least its length
        var values = new string[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = ReadString(reader, $"class value {i}");
        }

        return new ClassValues(itemType, values);
    }

    /// <summary>Reads a string of the layout: its UTF-8 byte count, checked against the bytes that remain, then the bytes.</summary>
    private static string ReadString(BinaryReader reader, string what)
    {
        int length = reader.ReadInt32();
        if (length < 0)
        {
            throw Errors.Corrupt($"the length of {what}", length, "at least 0");
        }

        CheckRemaining(reader, length, $"{what}'s bytes");
        var bytes = new byte[length];
        ReadExactly(reader, bytes);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            // Not chained: the decoder's exception is an ArgumentException, and the cause here is the data.
            throw new FormatException($"The Backprop model data is corrupted or was not written by this library: {what} is not UTF-8 text (at byte {e.Index}).");
        }
    }
}
