using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// e^x in double precision, four lanes at a time or one, with the same bits either way and on every x64 machine: the
/// exponential of training's output activations (<see cref="OutputLayer.ActivateInTraining"/>).
/// Effectively computes e^x = 2^n · e^r with n = round(x·log₂e) and r = x − n·ln 2 (|r| ≤ ½ ln 2; ln 2 is split in
/// two parts so that n·ln 2's leading part is exact), e^r by its Taylor series up to r¹²/12! (truncation error below
/// 2·10⁻¹⁶ relative), and 2^n added to the result's exponent bits. The relative error is a few units of 10⁻¹⁶ (the Horner
/// steps' roundings), so a result rounded to float is the correctly rounded e^x but for rare near-halfway cases (none in
/// 2,000,000 draws against Math.Exp).
/// </summary>
/// <remarks>
/// <para><b>Why not TensorPrimitives.Exp.</b> Its generic routines start as unoptimised code and reach optimised code in
/// two stages of tiered compilation, each after a pause in which the process compiles nothing new; training's first
/// steps always compile something new, so softmax ran unoptimised well into the first epoch and its promotion competed
/// with training for the cores: FMNIST's first epoch took 1.18–1.34× the median epoch with it, 1.00–1.16× with a plain
/// loop (benchmarks/README.md, "The first epoch's softmax"). This class is compiled optimised at first use.</para>
/// <para><b>Same bits everywhere.</b> Only IEEE multiplies, adds and comparisons, no fused multiply–add, in the same order
/// in <see cref="Of(double)"/> and <see cref="Of(Vector256{double})"/>; a value's result does not depend on its position
/// in a span, the span's length or the instruction set. Inputs are clamped to [<see cref="Lowest"/>, <see cref="Highest"/>]:
/// e^−110 ≈ 1.7·10⁻⁴⁸ rounds to float 0 like anything smaller, and every sigmoid 1/(1 + e^−x) with |x| ≥ 110 is 0 or 1 in
/// float. NaN stays NaN.</para>
/// </remarks>
internal static class Exponential
{
    /// <summary>Inputs below are treated as this (e^x rounds to float 0 below about −103.3).</summary>
    public const double Lowest = -110;

    /// <summary>Inputs above are treated as this (1/(1 + e^−x) is float 1 above about 17).</summary>
    public const double Highest = 110;

    private const double Log2E = 1.4426950408889634;

    /// <summary>ln 2's leading 32 bits (0x3FE62E42FEE00000): n times it is exact for |n| &lt; 2²⁰.</summary>
    private const double Ln2High = 0.6931471803691238;

    /// <summary>ln 2 − <see cref="Ln2High"/>.</summary>
    private const double Ln2Low = 1.9082149292705877e-10;

    /// <summary>1.5·2⁵²: adding it to |y| &lt; 2⁵¹ rounds y to the nearest integer (ties to even), held in the low bits.</summary>
    private const double RoundingShift = 6755399441055744.0;

    // 1/k! for k = 2 … 12.
    private const double C2 = 1.0 / 2;
    private const double C3 = 1.0 / 6;
    private const double C4 = 1.0 / 24;
    private const double C5 = 1.0 / 120;
    private const double C6 = 1.0 / 720;
    private const double C7 = 1.0 / 5040;
    private const double C8 = 1.0 / 40320;
    private const double C9 = 1.0 / 362880;
    private const double C10 = 1.0 / 3628800;
    private const double C11 = 1.0 / 39916800;
    private const double C12 = 1.0 / 479001600;

    /// <summary>e^<paramref name="x"/> (see the class summary).</summary>
    /// <param name="x">Any double; NaN gives NaN.</param>
    /// <returns>e^x, exactly as <see cref="Of(Vector256{double})"/> gives it.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Of(double x)
    {
        double c = x < Lowest ? Lowest : x;
        c = c > Highest ? Highest : c;
        double t = (c * Log2E) + RoundingShift;
        double n = t - RoundingShift;
        double r = (c - (n * Ln2High)) - (n * Ln2Low);
        double q = (C12 * r) + C11;
        q = (q * r) + C10;
        q = (q * r) + C9;
        q = (q * r) + C8;
        q = (q * r) + C7;
        q = (q * r) + C6;
        q = (q * r) + C5;
        q = (q * r) + C4;
        q = (q * r) + C3;
        q = (q * r) + C2;
        q = (q * r) + 1.0;
        double p = (q * r) + 1.0;
        long exponent = (BitConverter.DoubleToInt64Bits(t) - BitConverter.DoubleToInt64Bits(RoundingShift)) << 52;
        double scaled = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(p) + exponent);
        return double.IsNaN(x) ? x : scaled;
    }

    /// <summary>e^x of each lane (see the class summary).</summary>
    /// <param name="x">Four doubles.</param>
    /// <returns>Each lane exactly as <see cref="Of(double)"/> gives it.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Of(Vector256<double> x)
    {
        Vector256<double> lowest = Vector256.Create(Lowest), highest = Vector256.Create(Highest), shift = Vector256.Create(RoundingShift);
        Vector256<double> c = Vector256.ConditionalSelect(Vector256.LessThan(x, lowest), lowest, x);
        c = Vector256.ConditionalSelect(Vector256.GreaterThan(c, highest), highest, c);
        Vector256<double> t = (c * Vector256.Create(Log2E)) + shift;
        Vector256<double> n = t - shift;
        Vector256<double> r = (c - (n * Vector256.Create(Ln2High))) - (n * Vector256.Create(Ln2Low));
        Vector256<double> q = (Vector256.Create(C12) * r) + Vector256.Create(C11);
        q = (q * r) + Vector256.Create(C10);
        q = (q * r) + Vector256.Create(C9);
        q = (q * r) + Vector256.Create(C8);
        q = (q * r) + Vector256.Create(C7);
        q = (q * r) + Vector256.Create(C6);
        q = (q * r) + Vector256.Create(C5);
        q = (q * r) + Vector256.Create(C4);
        q = (q * r) + Vector256.Create(C3);
        q = (q * r) + Vector256.Create(C2);
        q = (q * r) + Vector256<double>.One;
        Vector256<double> p = (q * r) + Vector256<double>.One;
        Vector256<long> exponent = (t.AsInt64() - shift.AsInt64()) << 52;
        Vector256<double> scaled = (p.AsInt64() + exponent).AsDouble();
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), scaled, x);
    }
}
