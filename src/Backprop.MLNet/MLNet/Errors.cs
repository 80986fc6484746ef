using System.Globalization;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// The one place exceptions are made, so that every message reads alike: what is wrong (naming the option or
/// column), the value received, and what to do about it.
/// </summary>
internal static class Errors
{
    /// <summary>An option whose value breaks its constraint.</summary>
    public static ArgumentOutOfRangeException Option(string option, object? value, string constraint, string? fix = null) =>
        new($"{nameof(BackpropTrainer.Options)}.{option}", value,
            $"BackpropTrainer option {option} {constraint}; received {Show(value)}.{Suffix(fix)}");

    /// <summary>A setting of a fitted model whose value breaks its constraint.</summary>
    public static ArgumentOutOfRangeException ModelSetting(string setting, object? value, string constraint, string? fix = null) =>
        new(setting, value, $"{nameof(BackpropModelParameters)}.{setting} {constraint}; received {Show(value)}.{Suffix(fix)}");

    /// <summary>A column that the trainer needs but the data does not have.</summary>
    public static ArgumentOutOfRangeException MissingColumn(string role, string name, IEnumerable<string> available) =>
        new(role, $"The {role} column '{name}' was not found in the data. " +
            $"Columns present: {string.Join(", ", available.Select(c => $"'{c}'"))}. " +
            $"Set {nameof(BackpropTrainer.Options)}.{role}ColumnName to the right column, or create it " +
            "(for features: mlContext.Transforms.Concatenate(\"Features\", ...)).");

    /// <summary>A column whose type the trainer cannot use.</summary>
    public static ArgumentOutOfRangeException ColumnType(string role, string name, object foundType, string expected, string fix) =>
        new(role, $"The {role} column '{name}' is {foundType}; {expected}. {fix}");

    /// <summary>A warm start's initial model that does not fit the trainer's options or the data.</summary>
    public static ArgumentException InitialModel(string what, string fix) =>
        new($"The initial model does not fit this training: {what}. {fix}", "initialModel");

    /// <summary>Data that holds nothing the trainer can learn from.</summary>
    public static InvalidOperationException NoData(string what, string fix) =>
        new($"BackpropTrainer cannot train: {what}. {fix}");

    /// <summary>Data whose storage would not fit in the memory available (refused before it is allocated).</summary>
    public static InsufficientMemoryException DataTooLarge(string what, string fix) =>
        new($"BackpropTrainer cannot train: {what}. {fix}");

    /// <summary>A model stream that breaks the binary layout.</summary>
    public static FormatException Corrupt(string field, object? value, string expected) =>
        new($"The Backprop model data is corrupted or was not written by this library: {field} is {Show(value)}, expected {expected}.");

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Show)) + "]",
        _ => value.ToString() ?? "?",
    };

    private static string Suffix(string? fix) => fix is null ? "" : " " + fix;
}
