using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// The classes a multiclass model's outputs mean: output i is key i + 1 of the label it was trained on, and that key's
/// value is <see cref="Values"/>[i]. Taken from the label column's key values (its KeyValues annotation, which
/// MapValueToKey writes), as text in a fixed, culture-invariant form, with the name of their type; saved with the model
/// (format 0x00010004), so that a warm start can refuse data whose keys mean other classes.
/// </summary>
/// <param name="itemType">The name of the key values' type, e.g. "String" or "Single".</param>
/// <param name="values">The key values in key order, as text.</param>
internal sealed class ClassValues(string itemType, IReadOnlyList<string> values)
{
    /// <summary>The most values a message shows before it says how many there are.</summary>
    private const int ShownValues = 8;

    /// <summary>The most characters of one value a message shows.</summary>
    private const int ShownCharacters = 32;

    private static readonly MethodInfo ReadValues = typeof(ClassValues).GetMethod(nameof(Read), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>The name of the key values' type, e.g. "String" or "Single".</summary>
    public string ItemType { get; } = itemType;

    /// <summary>The key values in key order, as text: <c>Values[i]</c> is the class of output i (key i + 1).</summary>
    public IReadOnlyList<string> Values { get; } = values;

    /// <summary>The key values of a key-typed label column, or null when it has none (no KeyValues annotation of its size).</summary>
    /// <param name="label">The label column.</param>
    public static ClassValues? Of(DataViewSchema.Column label)
    {
        if (label.Type is not KeyDataViewType key
            || label.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues)?.Type is not VectorDataViewType { ItemType: var item, Size: var size }
            || (ulong)size != key.Count)
        {
            return null;
        }

        var values = (string[])ReadValues.MakeGenericMethod(item.RawType).Invoke(null, [label.Annotations])!;
        return new ClassValues(item.ToString() ?? item.RawType.Name, values);
    }

    /// <summary>Whether <paramref name="other"/> holds the same values, in the same order, of the same type.</summary>
    public bool SameAs(ClassValues other) => ItemType == other.ItemType && Values.SequenceEqual(other.Values, StringComparer.Ordinal);

    /// <summary>The values for a message: ['a', 'b', 'c'], the first few of a long list and long values cut, with the type.</summary>
    public override string ToString()
    {
        IEnumerable<string> shown = Values.Take(ShownValues).Select(Show);
        string more = Values.Count > ShownValues ? string.Create(CultureInfo.InvariantCulture, $", … ({Values.Count} classes)") : "";
        return $"[{string.Join(", ", shown)}{more}] ({ItemType})";
    }

    /// <summary>One value for a message: quoted, and cut when long.</summary>
    public static string Show(string value) =>
        "'" + (value.Length > ShownCharacters ? string.Concat(value.AsSpan(0, ShownCharacters), "…") : value) + "'";

    private static string[] Read<T>(DataViewSchema.Annotations annotations)
    {
        VBuffer<T> values = default;
        annotations.GetValue(AnnotationUtils.Kinds.KeyValues, ref values);
        var text = new string[values.Length];
        int i = 0;
        foreach (T value in values.DenseValues())
        {
            text[i++] = Text(value);
        }

        return text;
    }

    /// <summary>A key value as text, the same on every machine and culture: round-trip numbers, ISO 8601 dates.</summary>
    private static string Text<T>(T value) => value switch
    {
        ReadOnlyMemory<char> text => text.ToString(),
        bool b => b ? "true" : "false",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        null => "",
        _ => value.ToString() ?? "",
    };
}
