namespace Backprop.MLNet.Engine.Sparse;

/// <summary>
/// A row's non-zero values, for sparse storage: explicit zeros change nothing and are dropped, NaN (≠ 0) is kept. One
/// place for what reading, streaming and scoring each need.
/// </summary>
internal static class NonZeros
{
    /// <summary>How many of <paramref name="values"/> are not zero.</summary>
    public static int Count(ReadOnlySpan<float> values)
    {
        int count = 0;
        foreach (float v in values)
        {
            count += v != 0f ? 1 : 0;
        }

        return count;
    }

    /// <summary>
    /// Writes the non-zero values of a row and their feature indices, in increasing index order; returns how many (the
    /// destinations need room for <see cref="Count"/> of them).
    /// </summary>
    /// <param name="isDense">Whether <paramref name="values"/> holds every feature (its index is its position).</param>
    /// <param name="values">The values: every feature, or those at <paramref name="indices"/>.</param>
    /// <param name="indices">The features' increasing indices when sparse; ignored when dense.</param>
    /// <param name="toIndices">Where the indices go.</param>
    /// <param name="toValues">Where the values go.</param>
    public static int Copy(bool isDense, ReadOnlySpan<float> values, ReadOnlySpan<int> indices, Span<int> toIndices, Span<float> toValues)
    {
        int n = 0;
        for (int k = 0; k < values.Length; k++)
        {
            if (values[k] != 0f)
            {
                toIndices[n] = isDense ? k : indices[k];
                toValues[n++] = values[k];
            }
        }

        return n;
    }
}
