using System.Globalization;

namespace TextClassification;

/// <summary>The example's options, each checked as it is read.</summary>
internal sealed class CommandLine
{
    public const string Usage =
        "Usage: dotnet run --project examples/TextClassification [-- [--max-packages N] [--epochs N] [--lists DIR]]\n" +
        "  --max-packages N  use N packages of the kept sections, drawn at random with a fixed seed (default: all)\n" +
        "  --epochs N        BackpropTrainer epochs (default: 10)\n" +
        "  --lists DIR       apt's list folder (default: /var/lib/apt/lists)";

    /// <summary>At most this many packages (after the shuffle); null means all.</summary>
    public int? MaxPackages { get; private init; }

    /// <summary>BackpropTrainer's MaximumNumberOfEpochs.</summary>
    public int Epochs { get; private init; } = 10;

    /// <summary>Where apt keeps its lists.</summary>
    public string Lists { get; private init; } = "/var/lib/apt/lists";

    /// <summary>Reads <paramref name="args"/>; on a mistake returns null and says what was wrong.</summary>
    public static CommandLine? Parse(string[] args, out string? error)
    {
        error = null;
        int? maxPackages = null;
        int epochs = 10;
        string lists = "/var/lib/apt/lists";
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--max-packages" when TryPositive(value, out int n):
                    maxPackages = n;
                    i++;
                    break;
                case "--epochs" when TryPositive(value, out int n):
                    epochs = n;
                    i++;
                    break;
                case "--lists" when value is not null:
                    lists = value;
                    i++;
                    break;
                case "--max-packages" or "--epochs":
                    error = $"{args[i]} needs a positive whole number, not '{value}'.";
                    return null;
                case "--lists":
                    error = "--lists needs a folder.";
                    return null;
                default:
                    error = $"Unknown argument '{args[i]}'.";
                    return null;
            }
        }

        return new CommandLine { MaxPackages = maxPackages, Epochs = epochs, Lists = lists };
    }

    private static bool TryPositive(string? text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
}
