using System.Globalization;
using System.Reflection;

namespace Backprop.MLNet.Benchmarks;

/// <summary>The <c>--backprop Name=Value</c> settings: any BackpropTrainer.Options property, set by name, for the workloads that train Backprop.</summary>
internal static class BackpropSettings
{
    /// <summary>Applies every setting to <paramref name="options"/>; returns what was set, for the output.</summary>
    public static string Apply(BackpropTrainer.Options options, IReadOnlyList<string> settings) =>
        string.Join(", ", settings.Select(setting => Set(options, setting)));

    /// <summary>
    /// Sets one BackpropTrainer.Options property from "Name=Value" (an enum, bool, int, double, or a list of ints such as
    /// <c>HiddenLayerSizes=4096,128</c>); returns what was set.
    /// </summary>
    private static string Set(BackpropTrainer.Options options, string setting)
    {
        string[] parts = setting.Split('=', 2);
        PropertyInfo property = typeof(BackpropTrainer.Options).GetProperty(parts[0], BindingFlags.Public | BindingFlags.Instance)
            ?? throw new ArgumentException($"BackpropTrainer.Options has no property '{parts[0]}'.");
        Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (parts.Length < 2)
        {
            throw new ArgumentException($"--backprop takes Name=Value; got '{setting}'.");
        }

        object value = type.IsEnum ? Enum.Parse(type, parts[1], ignoreCase: true)
            : type == typeof(int[]) ? parts[1].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray()
            : typeof(IConvertible).IsAssignableFrom(type) ? Convert.ChangeType(parts[1], type, CultureInfo.InvariantCulture)
            : throw new ArgumentException($"--backprop cannot set {property.Name} ({type.Name}) from text.");
        property.SetValue(options, value);
        string shown = value is int[] list ? string.Join(",", list) : Convert.ToString(value, CultureInfo.InvariantCulture)!;
        Console.WriteLine($"BackpropTrainer.Options.{property.Name} = {shown}");
        return $"{property.Name}={shown}";
    }

}
