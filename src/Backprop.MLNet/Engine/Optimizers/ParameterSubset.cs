namespace Backprop.MLNet.Engine.Optimizers;

/// <summary>
/// The parameters a lazy step updates: some rows of <see cref="RowWidth"/> floats at the front of the parameter vector
/// (the touched inputs' rows of a transposed sparse first layer) and every parameter from <see cref="TailStart"/> on
/// (the first layer's biases and all later layers).
/// </summary>
internal readonly ref struct ParameterSubset
{
    /// <summary>Describes the subset.</summary>
    /// <param name="rows">The row numbers, each in [0, tailStart / rowWidth).</param>
    /// <param name="rowWidth">Floats per row.</param>
    /// <param name="tailStart">The first parameter of the tail, a multiple of <paramref name="rowWidth"/>.</param>
    public ParameterSubset(ReadOnlySpan<int> rows, int rowWidth, int tailStart)
    {
        Rows = rows;
        RowWidth = rowWidth;
        TailStart = tailStart;
    }

    /// <summary>The row numbers.</summary>
    public ReadOnlySpan<int> Rows { get; }

    /// <summary>Floats per row.</summary>
    public int RowWidth { get; }

    /// <summary>The first parameter of the tail.</summary>
    public int TailStart { get; }
}
