using System.Globalization;
using System.Reflection;

namespace Backprop.MLNet.Benchmarks;

/// <summary>The <c>--backprop Name=Value</c> settings: any BackpropTrainer.Options property, set by name, for the workloads that train Backprop.</summary>
internal static class BackpropSettings
{
    /// <summary>Applies every setting to <paramref name="options"/>; returns what was set, for the output.</summary>
    public static string Apply(BackpropTrainer.Options options, IReadOnlyList<string> settings) =>
        string.Join(", ", settings.Select(setting => Set(options, setting)));

    /// <summary>Sets one BackpropTrainer.Options property from "Name=Value" (an enum, bool, int or double); returns what was set.</summary>
    private static string Set(BackpropTrainer.Options options, string setting)
    {
        string[] parts = setting.Split('=', 2);
        PropertyInfo property = typeof(BackpropTrainer.Options).GetProperty(parts[0], BindingFlags.Public | BindingFlags.Instance)
            ?? throw new ArgumentException($"BackpropTrainer.Options has no property '{parts[0]}'.");
        Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        object value = type.IsEnum
            ? Enum.Parse(type, parts[1], ignoreCase: true)
            : Convert.ChangeType(parts[1], type, CultureInfo.InvariantCulture);
        property.SetValue(options, value);
        Console.WriteLine($"BackpropTrainer.Options.{property.Name} = {value}");
        return $"{property.Name}={value}";
    }

}
