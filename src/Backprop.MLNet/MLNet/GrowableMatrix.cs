using Backprop.MLNet.Engine;

namespace Backprop.MLNet.MLNet;

/// <summary>A row-major float matrix that grows by doubling while rows are appended.</summary>
/// <param name="width">Values per row.</param>
/// <param name="capacity">Rows to make room for at once.</param>
internal sealed class GrowableMatrix(int width, int capacity)
{
    private float[] _values = LargeArrays.Allocate<float>((long)width * capacity <= Array.MaxLength ? width * capacity : width);

    /// <summary>Rows appended so far.</summary>
    public int Rows { get; private set; }

    /// <summary>Makes room for one more row and returns it (zeros) to be filled.</summary>
    public Span<float> AppendRow()
    {
        long needed = (long)(Rows + 1) * width;
        if (needed > _values.Length)
        {
            long grown = Math.Max(needed, Math.Min(2L * _values.Length, Array.MaxLength));
            if (grown > Array.MaxLength)
            {
                throw Errors.NoData($"the feature matrix would exceed {Array.MaxLength} values", "Train on a sample of the rows.");
            }

            LargeArrays.Resize(ref _values, (int)grown);
        }

        Span<float> row = _values.AsSpan(Rows * width, width);
        Rows++;
        return row;
    }

    /// <summary>Σ of every value appended.</summary>
    public double Sum()
    {
        double sum = 0;
        for (int i = 0; i < Rows * width; i++)
        {
            sum += _values[i];
        }

        return sum;
    }

    /// <summary>The values, trimmed to the rows appended (the matrix must not be used afterwards).</summary>
    public float[] Take()
    {
        if (_values.Length != Rows * width)
        {
            LargeArrays.Resize(ref _values, Rows * width);
        }

        return _values;
    }
}
