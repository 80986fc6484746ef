using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>An element-wise function written for sixteen and eight lanes, with the same bits in every lane of both.</summary>
internal interface IVectorFunction
{
    /// <summary>The function of each of sixteen lanes.</summary>
    /// <param name="x">Arguments.</param>
    static abstract Vector512<float> Of(Vector512<float> x);

    /// <summary>The function of each of eight lanes.</summary>
    /// <param name="x">Arguments.</param>
    static abstract Vector256<float> Of(Vector256<float> x);
}

/// <summary>
/// Applies an <see cref="IVectorFunction"/> to a span: sixteen lanes at a time where AVX-512 is, then eight, then the last
/// 1–7 values through the eight-lane form (<see cref="RowTail"/>), so every value gets the same bits wherever it sits.
/// </summary>
internal static class VectorMap
{
    /// <summary>Writes f(x) of every value.</summary>
    /// <typeparam name="TFunction">The function.</typeparam>
    /// <param name="values">The arguments.</param>
    /// <param name="results">At least as long as <paramref name="values"/>; may be the same span.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<TFunction>(ReadOnlySpan<float> values, Span<float> results)
        where TFunction : IVectorFunction
    {
        ref float xs = ref MemoryMarshal.GetReference(values);
        ref float ys = ref MemoryMarshal.GetReference(results[..values.Length]);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= values.Length; j += 16)
            {
                TFunction.Of(Vector512.LoadUnsafe(ref xs, (nuint)j)).StoreUnsafe(ref ys, (nuint)j);
            }
        }

        for (; j + 8 <= values.Length; j += 8)
        {
            TFunction.Of(Vector256.LoadUnsafe(ref xs, (nuint)j)).StoreUnsafe(ref ys, (nuint)j);
        }

        if (j < values.Length)
        {
            RowTail.Store(TFunction.Of(RowTail.Load(values[j..], 0f)), results[j..values.Length]);
        }
    }

    /// <summary>Multiplies every value of <paramref name="products"/> by f of the value at its place in <paramref name="values"/>.</summary>
    /// <typeparam name="TFunction">The function.</typeparam>
    /// <param name="values">The arguments.</param>
    /// <param name="products">As long as <paramref name="values"/>; multiplied in place.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyBy<TFunction>(ReadOnlySpan<float> values, Span<float> products)
        where TFunction : IVectorFunction
    {
        if (products.Length != values.Length)
        {
            throw new ArgumentException($"The spans differ in length: {values.Length} values, {products.Length} products.", nameof(products));
        }

        ref float xs = ref MemoryMarshal.GetReference(values);
        ref float ys = ref MemoryMarshal.GetReference(products);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= values.Length; j += 16)
            {
                (Vector512.LoadUnsafe(ref ys, (nuint)j) * TFunction.Of(Vector512.LoadUnsafe(ref xs, (nuint)j))).StoreUnsafe(ref ys, (nuint)j);
            }
        }

        for (; j + 8 <= values.Length; j += 8)
        {
            (Vector256.LoadUnsafe(ref ys, (nuint)j) * TFunction.Of(Vector256.LoadUnsafe(ref xs, (nuint)j))).StoreUnsafe(ref ys, (nuint)j);
        }

        if (j < values.Length)
        {
            RowTail.Store(RowTail.Load(products[j..], 0f) * TFunction.Of(RowTail.Load(values[j..], 0f)), products[j..]);
        }
    }
}
