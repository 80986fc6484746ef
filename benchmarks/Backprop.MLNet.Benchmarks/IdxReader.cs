using System.Buffers.Binary;
using System.IO.Compression;

namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// Reads the IDX files of (Fashion-)MNIST, gzip-compressed or not: a big-endian header of a magic number
/// (0x00000801 for a label file, 0x00000803 for an image file), the item count, for images the rows and
/// columns, then one unsigned byte per label or pixel.
/// </summary>
internal static class IdxReader
{
    private const int LabelMagic = 0x00000801;
    private const int ImageMagic = 0x00000803;

    /// <summary>Reads an image file into one array per image with every pixel divided by 255.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The images, each rows·columns long.</returns>
    public static float[][] ReadImages(string path)
    {
        using Stream stream = Open(path);
        int count = ReadHeader(stream, path, ImageMagic);
        int rows = ReadInt(stream, path), columns = ReadInt(stream, path);
        int size = checked(rows * columns);
        var pixels = new byte[size];
        var images = new float[count][];
        for (int i = 0; i < count; i++)
        {
            stream.ReadExactly(pixels);
            var image = new float[size];
            for (int p = 0; p < size; p++)
            {
                image[p] = pixels[p] / 255f;
            }

            images[i] = image;
        }

        return images;
    }

    /// <summary>Reads a label file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>One byte per item.</returns>
    public static byte[] ReadLabels(string path)
    {
        using Stream stream = Open(path);
        int count = ReadHeader(stream, path, LabelMagic);
        var labels = new byte[count];
        stream.ReadExactly(labels);
        return labels;
    }

    private static Stream Open(string path)
    {
        Stream file = new BufferedStream(File.OpenRead(path), 1 << 16);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static int ReadHeader(Stream stream, string path, int expectedMagic)
    {
        int magic = ReadInt(stream, path);
        if (magic != expectedMagic)
        {
            throw new InvalidDataException($"{path}: IDX magic number 0x{magic:X8}, expected 0x{expectedMagic:X8}.");
        }

        return ReadInt(stream, path);
    }

    private static int ReadInt(Stream stream, string path)
    {
        Span<byte> bytes = stackalloc byte[4];
        stream.ReadExactly(bytes);
        int value = BinaryPrimitives.ReadInt32BigEndian(bytes);
        return value >= 0 ? value : throw new InvalidDataException($"{path}: negative size {value} in the IDX header.");
    }
}
