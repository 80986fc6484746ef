namespace Backprop.MLNet.Engine.Inference;

/// <summary>
/// The rows of a sparse <see cref="InputBatch"/> as prediction needs them: checked before any kernel reads a panel row
/// through their indices, and written out dense for the training layout, which reads dense rows only.
/// </summary>
internal static class CsrRows
{
    /// <summary>Throws unless every row's indices increase strictly and lie in [0, width) (a no-op for a dense batch).</summary>
    /// <param name="x">The batch.</param>
    /// <exception cref="ArgumentException">A row's indices are out of range, repeated or out of order.</exception>
    public static void Check(InputBatch x)
    {
        if (!x.IsSparse)
        {
            return;
        }

        for (int r = 0; r < x.Rows; r++)
        {
            CheckIndices(x.RowIndices(r), x.Width, x.Rows > 1 ? r : -1);
        }
    }

    /// <summary>Throws unless <paramref name="indices"/> increase strictly and lie in [0, <paramref name="width"/>).</summary>
    /// <param name="indices">One sparse row's indices.</param>
    /// <param name="width">Inputs per row.</param>
    /// <param name="row">The row's number in its batch, for the message; −1 for a row on its own.</param>
    /// <exception cref="ArgumentException">An index is out of range, repeated or out of order.</exception>
    public static void CheckIndices(ReadOnlySpan<int> indices, int width, int row = -1)
    {
        int previous = -1;
        for (int k = 0; k < indices.Length; k++)
        {
            int index = indices[k];
            if (index <= previous || index >= width)
            {
                throw new ArgumentException(
                    $"{(row >= 0 ? $"Sparse row {row}: the" : "The")} indices of a sparse vector must increase strictly and lie in [0, {width}); " +
                    $"entry {k} is {index}{(k > 0 ? $", after {previous}" : "")}.",
                    nameof(indices));
            }

            previous = index;
        }
    }

    /// <summary>Writes the rows of a checked sparse batch dense, row-major, zeros included.</summary>
    /// <param name="x">A sparse batch (see <see cref="Check"/>).</param>
    /// <param name="dense">At least rows × width floats; the first rows × width are overwritten.</param>
    public static void Scatter(InputBatch x, Span<float> dense)
    {
        int width = x.Width;
        dense[..(x.Rows * width)].Clear();
        for (int r = 0; r < x.Rows; r++)
        {
            Span<float> row = dense.Slice(r * width, width);
            ReadOnlySpan<int> indices = x.RowIndices(r);
            ReadOnlySpan<float> values = x.RowValues(r);
            for (int k = 0; k < indices.Length; k++)
            {
                row[indices[k]] = values[k];
            }
        }
    }
}
