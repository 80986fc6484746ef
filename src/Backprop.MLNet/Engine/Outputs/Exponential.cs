using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// e^x in float, sixteen lanes at a time, eight or one, with the same bits every way and on every x64 machine: the
/// exponential of training's output activations (<see cref="OutputLayer.ActivateInTraining"/>).
/// Effectively computes e^x = 2^n · e^r with n = round(x·log₂e) and r = x − n·ln 2 (|r| ≤ ½ ln 2; ln 2 is split in two
/// parts so that n times the leading one is exact), e^r by its Taylor series up to r⁷/7! (truncation below 6·10⁻⁹
/// relative), and 2^n added to the result's exponent bits. Within two units in the last place of e^x (tested).
/// </summary>
/// <remarks>
/// <para><b>Range.</b> Results are normal floats: below <see cref="Lowest"/> (where e^x is under 2.7·10⁻³⁸, near the
/// smallest normal float) the result is 0, and inputs above <see cref="Highest"/> are taken as it (e^88 ≈ 1.65·10³⁸).
/// Softmax and sigmoid only ask for x ≤ 0. NaN stays NaN.</para>
/// <para><b>Same bits everywhere.</b> Only IEEE multiplies, adds and comparisons, no fused multiply–add, in the same order
/// in <see cref="Of(float)"/>, <see cref="Of(Vector256{float})"/> and <see cref="Of(Vector512{float})"/> (three copies of one
/// sequence: .NET 10 has no public interface over vector widths to write it once): a value's result does not depend on
/// its position in a span, the span's length or the instruction set.</para>
/// <para><b>Why not TensorPrimitives.Exp.</b> Its generic routines start as unoptimised code and reach optimised code in
/// two stages of tiered compilation, each after a pause in which the process compiles nothing new; training's first steps
/// always compile something new, so softmax ran unoptimised into the first epoch and its promotion competed with training
/// for the cores (benchmarks/README.md, "The first epoch's softmax"). These methods are inlined into their callers, which
/// are compiled optimised at first call, and are compiled optimised themselves where the JIT does not inline them (a
/// caller holding several copies runs out of its inlining budget).</para>
/// </remarks>
internal static class Exponential
{
    /// <summary>Inputs below give 0 (e^x under 2.7·10⁻³⁸); from it up, 2^n stays a normal float's exponent.</summary>
    public const float Lowest = -86.5f;

    /// <summary>Inputs above are taken as this (2^n stays below 2¹²⁸).</summary>
    public const float Highest = 88f;

    private const float Log2E = 1.44269504f;

    /// <summary>ln 2's leading 15 bits (0x3F317200): n times it is exact for |n| ≤ 2⁸.</summary>
    private const float Ln2High = 0.693145751953125f;

    /// <summary>ln 2 − <see cref="Ln2High"/>.</summary>
    private const float Ln2Low = 1.42860677e-06f;

    /// <summary>1.5·2²³: adding it to |y| &lt; 2²² rounds y to the nearest integer (ties to even), held in the low bits.</summary>
    private const float RoundingShift = 12582912f;

    // 1/k! for k = 2 … 7.
    private const float C2 = 1f / 2;
    private const float C3 = 1f / 6;
    private const float C4 = 1f / 24;
    private const float C5 = 1f / 120;
    private const float C6 = 1f / 720;
    private const float C7 = 1f / 5040;

    /// <summary>e^<paramref name="x"/> (see the class summary): the definition the vector forms follow lane by lane.</summary>
    /// <param name="x">Any float; NaN gives NaN.</param>
    /// <returns>e^x, 0 below <see cref="Lowest"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Of(float x)
    {
        float c = x < Lowest ? Lowest : x;
        c = c > Highest ? Highest : c;
        float t = (c * Log2E) + RoundingShift;
        float n = t - RoundingShift;
        float r = (c - (n * Ln2High)) - (n * Ln2Low);
        float q = (C7 * r) + C6;
        q = (q * r) + C5;
        q = (q * r) + C4;
        q = (q * r) + C3;
        q = (q * r) + C2;
        q = (q * r) + 1f;
        float p = (q * r) + 1f;
        int exponent = (BitConverter.SingleToInt32Bits(t) - BitConverter.SingleToInt32Bits(RoundingShift)) << 23;
        float scaled = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(p) + exponent);
        scaled = x < Lowest ? 0f : scaled;
        return float.IsNaN(x) ? x : scaled;
    }

    /// <summary>e^x of each lane (see the class summary).</summary>
    /// <param name="x">Eight floats.</param>
    /// <returns>Each lane exactly as <see cref="Of(float)"/> gives it.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<float> Of(Vector256<float> x)
    {
        Vector256<float> lowest = Vector256.Create(Lowest), highest = Vector256.Create(Highest), shift = Vector256.Create(RoundingShift);
        Vector256<float> below = Vector256.LessThan(x, lowest);
        Vector256<float> c = Vector256.ConditionalSelect(below, lowest, x);
        c = Vector256.ConditionalSelect(Vector256.GreaterThan(c, highest), highest, c);
        Vector256<float> t = (c * Vector256.Create(Log2E)) + shift;
        Vector256<float> n = t - shift;
        Vector256<float> r = (c - (n * Vector256.Create(Ln2High))) - (n * Vector256.Create(Ln2Low));
        Vector256<float> q = (Vector256.Create(C7) * r) + Vector256.Create(C6);
        q = (q * r) + Vector256.Create(C5);
        q = (q * r) + Vector256.Create(C4);
        q = (q * r) + Vector256.Create(C3);
        q = (q * r) + Vector256.Create(C2);
        q = (q * r) + Vector256<float>.One;
        Vector256<float> p = (q * r) + Vector256<float>.One;
        Vector256<int> exponent = (t.AsInt32() - shift.AsInt32()) << 23;
        Vector256<float> scaled = Vector256.AndNot((p.AsInt32() + exponent).AsSingle(), below);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), scaled, x);
    }

    /// <summary>e^x of each lane (see the class summary).</summary>
    /// <param name="x">Sixteen floats.</param>
    /// <returns>Each lane exactly as <see cref="Of(float)"/> gives it (and as <see cref="Of(Vector256{float})"/> does).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector512<float> Of(Vector512<float> x)
    {
        Vector512<float> lowest = Vector512.Create(Lowest), highest = Vector512.Create(Highest), shift = Vector512.Create(RoundingShift);
        Vector512<float> below = Vector512.LessThan(x, lowest);
        Vector512<float> c = Vector512.ConditionalSelect(below, lowest, x);
        c = Vector512.ConditionalSelect(Vector512.GreaterThan(c, highest), highest, c);
        Vector512<float> t = (c * Vector512.Create(Log2E)) + shift;
        Vector512<float> n = t - shift;
        Vector512<float> r = (c - (n * Vector512.Create(Ln2High))) - (n * Vector512.Create(Ln2Low));
        Vector512<float> q = (Vector512.Create(C7) * r) + Vector512.Create(C6);
        q = (q * r) + Vector512.Create(C5);
        q = (q * r) + Vector512.Create(C4);
        q = (q * r) + Vector512.Create(C3);
        q = (q * r) + Vector512.Create(C2);
        q = (q * r) + Vector512<float>.One;
        Vector512<float> p = (q * r) + Vector512<float>.One;
        Vector512<int> exponent = (t.AsInt32() - shift.AsInt32()) << 23;
        Vector512<float> scaled = Vector512.AndNot((p.AsInt32() + exponent).AsSingle(), below);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), scaled, x);
    }
}
