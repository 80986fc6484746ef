using System.IO.Compression;
using System.Text;
using Microsoft.ML;

namespace Backprop.MLNet.Tests.Reliability;

/// <summary>
/// A saved ML.NET model held in memory as its zip entries, so that thousands of variants with the
/// BackpropModelParameters entry rewritten can be loaded without touching the disk.
/// </summary>
internal sealed class ModelZip
{
    private readonly List<(string Name, byte[] Bytes)> _entries;

    private ModelZip(List<(string Name, byte[] Bytes)> entries, string backpropEntry)
    {
        _entries = entries;
        BackpropEntryName = backpropEntry;
    }

    /// <summary>The name of the entry whose ML.NET model header carries the signature "BPROPMDL".</summary>
    public string BackpropEntryName { get; }

    /// <summary>A copy of the BackpropModelParameters entry's bytes (ML.NET's header, then ModelFormat's body).</summary>
    public byte[] BackpropEntry => (byte[])_entries.Single(e => e.Name == BackpropEntryName).Bytes.Clone();

    /// <summary>Saves <paramref name="model"/> and splits the zip into its entries.</summary>
    public static ModelZip Save(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var saved = new MemoryStream();
        ml.Model.Save(model, schema, saved);
        saved.Position = 0;
        var entries = new List<(string, byte[])>();
        string? backprop = null;
        using (var zip = new ZipArchive(saved, ZipArchiveMode.Read))
        {
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                using var bytes = new MemoryStream();
                using (Stream stream = entry.Open())
                {
                    stream.CopyTo(bytes);
                }

                byte[] content = bytes.ToArray();
                if (content.Length > 0x48 && Encoding.ASCII.GetString(content, 0x40, 8) == "BPROPMDL")
                {
                    backprop = entry.FullName;
                }

                entries.Add((entry.FullName, content));
            }
        }

        return new ModelZip(entries, backprop ?? throw new InvalidOperationException("The model has no BackpropModelParameters entry."));
    }

    /// <summary>The whole zip again, with the BackpropModelParameters entry replaced by <paramref name="backpropEntry"/>.</summary>
    public MemoryStream With(ReadOnlySpan<byte> backpropEntry)
    {
        var result = new MemoryStream();
        using (var zip = new ZipArchive(result, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] bytes) in _entries)
            {
                using Stream stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(name == BackpropEntryName ? backpropEntry : bytes);
            }
        }

        result.Position = 0;
        return result;
    }
}
