using System.IO.Compression;
using System.Text;

namespace Backprop.MLNet.Tests.MLNet.Persistence;

/// <summary>Finds and rewrites the BackpropModelParameters entry inside a saved ML.NET model zip.</summary>
internal static class ModelEntry
{
    /// <summary>Reads the entry whose ML.NET model header carries the signature "BPROPMDL".</summary>
    public static byte[] Read(string zipPath, out string entryName)
    {
        using ZipArchive zip = ZipFile.OpenRead(zipPath);
        foreach (ZipArchiveEntry entry in zip.Entries)
        {
            using var memory = new MemoryStream();
            using (Stream stream = entry.Open())
            {
                stream.CopyTo(memory);
            }

            byte[] bytes = memory.ToArray();
            if (bytes.Length > 0x48 && Encoding.ASCII.GetString(bytes, 0x40, 8) == "BPROPMDL")
            {
                entryName = entry.FullName;
                return bytes;
            }
        }

        throw new InvalidOperationException($"No BackpropModelParameters entry in {zipPath}.");
    }

    /// <summary>Where the body (ModelFormat's layout) starts: the header's FpModel field at 0x10.</summary>
    public static int BodyOffset(byte[] entry) => (int)BitConverter.ToInt64(entry, 0x10);

    /// <summary>Copies the zip at <paramref name="source"/> to <paramref name="destination"/>, with one entry's bytes replaced.</summary>
    public static void Write(string source, string destination, string entryName, byte[] bytes)
    {
        File.Copy(source, destination, overwrite: true);
        using ZipArchive zip = ZipFile.Open(destination, ZipArchiveMode.Update);
        zip.GetEntry(entryName)!.Delete();
        using Stream stream = zip.CreateEntry(entryName).Open();
        stream.Write(bytes);
    }
}
