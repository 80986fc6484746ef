using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// Copies a row-major matrix into its transpose: 8 × 8 blocks in AVX registers where the CPU has AVX, element by element
/// at the edges and elsewhere. Values are only moved, never computed, so every path gives the same bits.
/// </summary>
internal static unsafe class MatrixTranspose
{
    /// <summary>Writes <c>destination[c, r] = source[r, c]</c>.</summary>
    /// <param name="source">The matrix, [rows × columns], row-major.</param>
    /// <param name="rows">Rows of <paramref name="source"/>.</param>
    /// <param name="columns">Columns of <paramref name="source"/>.</param>
    /// <param name="destination">The transpose, [columns × rows]; must not overlap <paramref name="source"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(ReadOnlySpan<float> source, int rows, int columns, Span<float> destination)
    {
        int count = checked(rows * columns);
        source = source[..count];
        destination = destination[..count];
        fixed (float* s = source, d = destination)
        {
            // Blocks walk down the source's columns, so that each destination row is written from start to end.
            int fullRows = Avx.IsSupported ? rows - (rows % 8) : 0, fullColumns = Avx.IsSupported ? columns - (columns % 8) : 0;
            for (int c0 = 0; c0 < fullColumns; c0 += 8)
            {
                for (int r0 = 0; r0 < fullRows; r0 += 8)
                {
                    Block8x8(s + ((nint)r0 * columns) + c0, columns, d + ((nint)c0 * rows) + r0, rows);
                }
            }

            Scalar(s, rows, columns, d, 0, fullRows, fullColumns, columns);
            Scalar(s, rows, columns, d, fullRows, rows, 0, columns);
        }
    }

    /// <summary>Transposes rows [r0, r1) × columns [c0, c1) element by element.</summary>
    private static void Scalar(float* s, int rows, int columns, float* d, int r0, int r1, int c0, int c1)
    {
        for (int r = r0; r < r1; r++)
        {
            for (int c = c0; c < c1; c++)
            {
                d[((nint)c * rows) + r] = s[((nint)r * columns) + c];
            }
        }
    }

    /// <summary>One 8 × 8 block: eight row loads, three rounds of unpacks and shuffles, eight row stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8x8(float* s, nint lds, float* d, nint ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + lds);
        Vector256<float> r2 = Avx.LoadVector256(s + (2 * lds)), r3 = Avx.LoadVector256(s + (3 * lds));
        Vector256<float> r4 = Avx.LoadVector256(s + (4 * lds)), r5 = Avx.LoadVector256(s + (5 * lds));
        Vector256<float> r6 = Avx.LoadVector256(s + (6 * lds)), r7 = Avx.LoadVector256(s + (7 * lds));

        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves exchanged.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + (2 * ldd), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + (3 * ldd), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + (4 * ldd), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + (5 * ldd), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + (6 * ldd), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + (7 * ldd), Avx.Permute2x128(u3, u7, 0x31));
    }
}
