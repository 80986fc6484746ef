using System.Diagnostics;
using System.Text;

namespace TextClassification;

/// <summary>One binary package from apt's lists.</summary>
/// <param name="Name">The <c>Package</c> field.</param>
/// <param name="Section">The <c>Section</c> field without its archive-area prefix ("contrib/net" becomes "net").</param>
/// <param name="Summary">The short description: the first line of <c>Description</c>.</param>
/// <param name="Details">The long description, its lines joined by spaces; empty when the lists hold none.</param>
internal sealed record DebianPackage(string Name, string Section, string Summary, string Details);

/// <summary>What <see cref="DebianPackages.Read"/> found.</summary>
/// <param name="Packages">One entry per package name, in the order of the lists (the first stanza of a name wins).</param>
/// <param name="PackagesFiles">How many *_Packages lists were read.</param>
/// <param name="TranslationFiles">How many *_Translation-en lists were read.</param>
/// <param name="Stanzas">All package stanzas read, duplicates included.</param>
/// <param name="Duplicates">Stanzas dropped because an earlier one had the same package name.</param>
/// <param name="Incomplete">Stanzas dropped because they lack a Package, Section or Description field.</param>
/// <param name="WithDetails">Packages that have a long description.</param>
internal sealed record DebianPackageList(
    IReadOnlyList<DebianPackage> Packages, int PackagesFiles, int TranslationFiles, int Stanzas, int Duplicates, int Incomplete, int WithDetails);

/// <summary>
/// Reads the lists that <c>apt-get update</c> leaves in /var/lib/apt/lists: the *_Packages files (one stanza of
/// RFC 822-style fields per binary package, stanzas separated by blank lines) and, when apt fetched them, the
/// *_i18n_Translation-en files. Debian's Packages files carry only the one-line description and its MD5
/// (<c>Description-md5</c>); the long description is in Translation-en under the same MD5.
/// </summary>
internal static class DebianPackages
{
    /// <summary>apt's helper, which can decompress any list apt has written (<c>apt-helper cat-file</c>).</summary>
    private const string AptHelper = "/usr/lib/apt/apt-helper";

    /// <summary>The file-name endings of the compressed forms apt can keep a list in.</summary>
    private static readonly string[] Compressions = [".gz", ".xz", ".lz4", ".zst", ".bz2", ".lzma"];

    private static readonly string[] PackageFields = ["Package", "Section", "Description", "Description-md5"];
    private static readonly string[] TranslationFields = ["Description-md5", "Description-en"];

    /// <summary>
    /// The lists of one kind ("Packages" or "Translation-en") in <paramref name="folder"/>, sorted by name: plain, or
    /// compressed as apt keeps them when <c>Acquire::GzipIndexes</c> is set (Debian's Docker images do, with lz4).
    /// </summary>
    /// <param name="folder">apt's list folder.</param>
    /// <param name="kind">"Packages" or "Translation-en".</param>
    /// <returns>Full paths; empty when the folder does not exist.</returns>
    public static IReadOnlyList<string> Find(string folder, string kind)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return Directory.EnumerateFiles(folder)
            .Where(path => Compressions.Prepend("").Any(compression => path.EndsWith($"_{kind}{compression}", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Reads every package in the lists of <paramref name="folder"/>, one entry per package name.</summary>
    /// <param name="folder">apt's list folder.</param>
    /// <returns>The packages and what reading them found.</returns>
    public static DebianPackageList Read(string folder)
    {
        IReadOnlyList<string> packagesFiles = Find(folder, "Packages"), translationFiles = Find(folder, "Translation-en");

        // Long descriptions by the MD5 of the whole English description, the key that Packages stanzas name.
        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in translationFiles)
        {
            foreach (Dictionary<string, string> stanza in Stanzas(ReadLines(file), TranslationFields))
            {
                if (stanza.TryGetValue("Description-md5", out string? md5) && stanza.TryGetValue("Description-en", out string? text))
                {
                    details.TryAdd(md5, SplitDescription(text).Details);
                }
            }
        }

        var packages = new List<DebianPackage>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        int stanzas = 0, duplicates = 0, incomplete = 0, withDetails = 0;
        foreach (string file in packagesFiles)
        {
            foreach (Dictionary<string, string> stanza in Stanzas(ReadLines(file), PackageFields))
            {
                stanzas++;
                if (!stanza.TryGetValue("Package", out string? name) || !stanza.TryGetValue("Section", out string? section)
                    || !stanza.TryGetValue("Description", out string? description))
                {
                    incomplete++;
                    continue;
                }

                // The same package is in several lists (bookworm and bookworm-security, amd64 and all, ...).
                if (!names.Add(name))
                {
                    duplicates++;
                    continue;
                }

                (string summary, string longDescription) = SplitDescription(description);
                if (longDescription.Length == 0 && stanza.TryGetValue("Description-md5", out string? md5))
                {
                    longDescription = details.GetValueOrDefault(md5, "");
                }

                if (longDescription.Length > 0)
                {
                    withDetails++;
                }

                // "contrib/net" and "non-free/net" are the section "net" in another archive area.
                packages.Add(new DebianPackage(name, section[(section.LastIndexOf('/') + 1)..], summary, longDescription));
            }
        }

        return new DebianPackageList(packages, packagesFiles.Count, translationFiles.Count, stanzas, duplicates, incomplete, withDetails);
    }

    /// <summary>
    /// The stanzas of a list: for each, the <paramref name="wanted"/> fields it has, name → value. A multi-line value
    /// keeps its continuation lines after '\n', each without the one leading space that marks it as a continuation.
    /// </summary>
    private static IEnumerable<Dictionary<string, string>> Stanzas(IEnumerable<string> lines, string[] wanted)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string? field = null;
        var value = new StringBuilder();
        foreach (string line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                Flush();
                if (fields.Count > 0)
                {
                    yield return fields;
                    fields = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                continue;
            }

            if (line[0] is ' ' or '\t')
            {
                if (field is not null)
                {
                    value.Append('\n').Append(line, 1, line.Length - 1);
                }

                continue;
            }

            Flush();
            int colon = line.IndexOf(':');
            // Field names are case-insensitive; a wanted one is stored under its spelling in `wanted`.
            string? name = colon > 0 ? wanted.FirstOrDefault(w => line.AsSpan(0, colon).Equals(w, StringComparison.OrdinalIgnoreCase)) : null;
            if (name is not null)
            {
                field = name;
                value.Append(line.AsSpan(colon + 1).Trim());
            }
        }

        Flush();
        if (fields.Count > 0)
        {
            yield return fields;
        }

        // Ends the field being read, if it is one of the wanted ones.
        void Flush()
        {
            if (field is not null)
            {
                fields[field] = value.ToString();
                field = null;
                value.Clear();
            }
        }
    }

    /// <summary>
    /// Splits a Description value into its first line and the rest. In the rest a line "." is a paragraph break and a
    /// line with a further leading space is verbatim text; for a bag of words both are just text.
    /// </summary>
    private static (string Summary, string Details) SplitDescription(string value)
    {
        string[] lines = value.Split('\n');
        IEnumerable<string> rest = lines.Skip(1).Select(line => line.Trim()).Where(line => line.Length > 0 && line != ".");
        return (lines[0].Trim(), string.Join(' ', rest));
    }

    /// <summary>The lines of one list, decompressed by apt's own helper when apt stored it compressed.</summary>
    private static IEnumerable<string> ReadLines(string path)
    {
        if (!Compressions.Any(compression => path.EndsWith(compression, StringComparison.Ordinal)))
        {
            foreach (string line in File.ReadLines(path))
            {
                yield return line;
            }

            yield break;
        }

        if (!File.Exists(AptHelper))
        {
            throw new FileNotFoundException($"{path} is compressed, and {AptHelper}, which would decompress it, is missing.", AptHelper);
        }

        var start = new ProcessStartInfo(AptHelper)
        {
            ArgumentList = { "cat-file", path },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {AptHelper}.");
        // Drain stderr in the background so that a chatty helper cannot block on a full pipe.
        Task<string> errors = process.StandardError.ReadToEndAsync();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            yield return line;
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidDataException($"'{AptHelper} cat-file {path}' failed with exit code {process.ExitCode}: {errors.Result.Trim()}");
        }
    }
}
