using Backprop.MLNet.Engine.Sparse;

namespace Backprop.MLNet.Training.Data;

/// <summary>One row's features (dense, or sparse values at increasing indices), targets and weight: a view, valid while its storage is.</summary>
/// <param name="IsDense">Whether <paramref name="Values"/> holds every feature.</param>
/// <param name="Values">All feature values (dense), or the values at <paramref name="Indices"/> (sparse).</param>
/// <param name="Indices">The features' indices when sparse; empty when dense.</param>
/// <param name="Target">The target values.</param>
/// <param name="Weight">The row's weight.</param>
internal readonly ref struct RowView(bool IsDense, ReadOnlySpan<float> Values, ReadOnlySpan<int> Indices, ReadOnlySpan<float> Target, float Weight)
{
    /// <summary>Whether <see cref="Values"/> holds every feature.</summary>
    public bool IsDense { get; } = IsDense;

    /// <summary>All feature values (dense), or the values at <see cref="Indices"/> (sparse).</summary>
    public ReadOnlySpan<float> Values { get; } = Values;

    /// <summary>The features' indices when sparse; empty when dense.</summary>
    public ReadOnlySpan<int> Indices { get; } = Indices;

    /// <summary>The target values.</summary>
    public ReadOnlySpan<float> Target { get; } = Target;

    /// <summary>The row's weight.</summary>
    public float Weight { get; } = Weight;

    /// <summary>The number of non-zero feature values (what <see cref="CopyNonZerosTo"/> writes).</summary>
    public int NonZeroCount() => NonZeros.Count(Values);

    /// <summary>Writes every feature to <paramref name="dense"/> (all <see cref="IRowSource.InputSize"/> of them): copied, or scattered from the sparse values.</summary>
    public void CopyDenseTo(Span<float> dense)
    {
        if (IsDense)
        {
            Values.CopyTo(dense);
            return;
        }

        dense.Clear();
        for (int k = 0; k < Values.Length; k++)
        {
            dense[Indices[k]] = Values[k];
        }
    }

    /// <summary>Writes the non-zero features with their indices, in increasing index order; returns how many (room for <see cref="NonZeroCount"/> needed).</summary>
    public int CopyNonZerosTo(Span<int> indices, Span<float> values) => NonZeros.Copy(IsDense, Values, Indices, indices, values);

    /// <summary>The current row of a cursor.</summary>
    /// <param name="cursor">A cursor on a row.</param>
    public static RowView Of(IRowCursor cursor) => new(cursor.IsDense, cursor.Values, cursor.Indices, cursor.Target, cursor.Weight);
}
