using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Outputs;

/// <summary>
/// Training's logistic function σ(z) = 1 / (1 + e^−z) on <see cref="Exponential"/>, for the sigmoid output and the sigmoid
/// hidden activation: with e = e^(−|z|), σ = 1 / (1 + e) for z ≥ 0 and e / (1 + e) below, in float (only e^x of x ≤ 0 is
/// asked for, so nothing overflows); the same bits for a value wherever it sits in a span and on every machine.
/// </summary>
internal static class Logistic
{
    /// <summary>Writes σ(z) of every value.</summary>
    /// <param name="values">The arguments.</param>
    /// <param name="results">At least as long as <paramref name="values"/>; may be the same span.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(ReadOnlySpan<float> values, Span<float> results) => VectorMap.Apply<Function>(values, results);

    /// <summary>σ on vectors, for <see cref="VectorMap"/> (and for functions built on σ, such as training's GELU).</summary>
    internal readonly struct Function : IVectorFunction
    {
        /// <summary>Sixteen lanes of <see cref="Apply"/>.</summary>
        /// <param name="z">Arguments.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Of(Vector512<float> z)
        {
            Vector512<float> e = Exponential.Of(-Vector512.Abs(z));
            Vector512<float> nonNegative = Vector512.GreaterThanOrEqual(z, Vector512<float>.Zero);
            Vector512<float> numerator = Vector512.ConditionalSelect(nonNegative, Vector512<float>.One, e);
            return numerator / (Vector512<float>.One + e);
        }

        /// <summary>Eight lanes of <see cref="Apply"/>.</summary>
        /// <param name="z">Arguments.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Of(Vector256<float> z)
        {
            Vector256<float> e = Exponential.Of(-Vector256.Abs(z));
            Vector256<float> nonNegative = Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero);
            Vector256<float> numerator = Vector256.ConditionalSelect(nonNegative, Vector256<float>.One, e);
            return numerator / (Vector256<float>.One + e);
        }
    }
}
