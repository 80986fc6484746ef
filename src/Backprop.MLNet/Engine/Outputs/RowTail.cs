using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// The last 1–7 values of a row as one eight-lane vector, so that a row's tail goes through the same vector code as its
/// body: loaded with the lanes past the end set to a chosen value, and stored back without touching what follows. With AVX
/// the masked load and store read and write only the row's own floats; elsewhere a copy through the stack does the same.
/// </summary>
internal static unsafe class RowTail
{
    /// <summary>The values (1 to 7 of them) in the first lanes, <paramref name="fill"/> in the others.</summary>
    /// <param name="values">The row's last values.</param>
    /// <param name="fill">The value of the lanes past the end.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<float> Load(ReadOnlySpan<float> values, float fill)
    {
        if (Avx.IsSupported)
        {
            Vector256<float> mask = Mask(values.Length);
            fixed (float* first = values)
            {
                return Vector256.ConditionalSelect(mask, Avx.MaskLoad(first, mask), Vector256.Create(fill));
            }
        }

        Span<float> lanes = stackalloc float[Vector256<float>.Count];
        lanes.Fill(fill);
        values.CopyTo(lanes);
        return Vector256.Create<float>(lanes);
    }

    /// <summary>Writes the first <c>destination.Length</c> lanes (1 to 7) of <paramref name="vector"/>.</summary>
    /// <param name="vector">The values.</param>
    /// <param name="destination">The row's last values.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Store(Vector256<float> vector, Span<float> destination)
    {
        if (Avx.IsSupported)
        {
            fixed (float* first = destination)
            {
                Avx.MaskStore(first, Mask(destination.Length), vector);
            }

            return;
        }

        Span<float> lanes = stackalloc float[Vector256<float>.Count];
        vector.CopyTo(lanes);
        lanes[..destination.Length].CopyTo(destination);
    }

    /// <summary>All bits set in the first <paramref name="count"/> lanes.</summary>
    /// <param name="count">Lanes selected.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Mask(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
}
