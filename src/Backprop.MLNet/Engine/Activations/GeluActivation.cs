using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Engine.Activations;

/// <summary>
/// The Gaussian error linear unit in its tanh form (PyTorch's <c>GELU(approximate='tanh')</c>):
/// f(z) = ½·z·(1 + tanh(u)), u = √(2/π)·(z + 0.044715·z³), with
/// f′(z) = ½·(1 + tanh u) + ½·z·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·z²).
/// GELU is not monotonic, so its derivative cannot be read off the activation: it is computed from the
/// pre-activation z, which training keeps for this function (<see cref="DerivativeFromPreActivation"/>).
/// </summary>
/// <remarks>
/// <see cref="Instance"/> computes f as z·σ(2u) (the same function, since ½·(1 + tanh u) = σ(2u)) with σ on
/// <see cref="Exponential"/> (<see cref="Logistic"/>), sixteen or eight lanes at a time: the same bits for a value wherever
/// it sits in a span and on every machine, in training and in prediction. <see cref="ByTanh"/> is the form GELU models
/// saved before format 0x00010005 predict with, <see cref="MathF.Tanh"/> one value at a time, kept for their bits (measured
/// on FMNIST-MLP: batch scoring at 22 % of the forward-pass bound with it, against 86 % for ReLU; benchmarks/README.md).
/// </remarks>
internal sealed class GeluActivation : HiddenActivation
{
    /// <summary>√(2/π).</summary>
    public const float C = 0.7978845608028654f;

    /// <summary>The cubic coefficient of the tanh form.</summary>
    public const float K = 0.044715f;

    /// <summary>The shared instance: z·σ(2u) on vectors, in training and prediction.</summary>
    public static readonly GeluActivation Instance = new();

    /// <summary>The prediction form of GELU models saved before format 0x00010005: ½·z·(1 + <see cref="MathF.Tanh"/>(u)).</summary>
    public static readonly HiddenActivation ByTanh = new TanhForm();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private GeluActivation()
    {
    }

    /// <inheritdoc />
    public override ActivationKind Kind => ActivationKind.Gelu;

    /// <inheritdoc />
    public override bool DerivativeFromPreActivation => true;

    /// <inheritdoc />
    public override void Apply(Span<float> values) => VectorMap.Apply<Function>(values, values);

    /// <inheritdoc />
    /// <remarks>
    /// Here <paramref name="activated"/> holds the pre-activations z (see <see cref="DerivativeFromPreActivation"/>). Only
    /// training asks for the derivative, so it is computed as <see cref="Apply"/> computes f: with s = ½·(1 + tanh u) = σ(2u),
    /// f′(z) = s + 2·z·s·(1 − s)·√(2/π)·(1 + 3·0.044715·z²), σ on <see cref="Exponential"/>, sixteen or eight lanes at a time
    /// (<see cref="Derivative"/>).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta)
    {
        CheckSameLength(activated, delta);
        VectorMap.MultiplyBy<Derivative>(activated, delta);
    }

    /// <summary>
    /// GELU by <see cref="MathF.Tanh"/>, one value at a time: how models saved before format 0x00010005 predict (their bits).
    /// Training, which a warm start from such a model runs, uses <see cref="Instance"/>.
    /// </summary>
    private sealed class TanhForm : HiddenActivation
    {
        /// <inheritdoc />
        public override ActivationKind Kind => ActivationKind.Gelu;

        /// <inheritdoc />
        public override bool DerivativeFromPreActivation => true;

        /// <inheritdoc />
        public override HiddenActivation InTraining => Instance;

        /// <inheritdoc />
        public override void Apply(Span<float> values)
        {
            for (int i = 0; i < values.Length; i++)
            {
                float z = values[i];
                float t = MathF.Tanh(C * (z + (K * z * z * z)));
                values[i] = 0.5f * z * (1f + t);
            }
        }

        /// <inheritdoc />
        public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta) =>
            Instance.MultiplyByDerivative(activated, delta);
    }

    /// <summary>f(z) = z·σ(2u) on vectors.</summary>
    private readonly struct Function : IVectorFunction
    {
        /// <summary>Sixteen lanes.</summary>
        /// <param name="z">Pre-activations.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Of(Vector512<float> z)
        {
            Vector512<float> zz = z * z;
            return z * Logistic.Function.Of(Vector512.Create(2f * C) * (z + (Vector512.Create(K) * zz * z)));
        }

        /// <summary>Eight lanes.</summary>
        /// <param name="z">Pre-activations.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Of(Vector256<float> z)
        {
            Vector256<float> zz = z * z;
            return z * Logistic.Function.Of(Vector256.Create(2f * C) * (z + (Vector256.Create(K) * zz * z)));
        }
    }

    /// <summary>
    /// f′(z) = s + 2·z·s·(1 − s)·√(2/π)·(1 + 3·0.044715·z²), s = σ(2u), on vectors; 1 − s is computed as σ(−2u) from the
    /// same exponential, since 1 − s in float is 0 wherever s rounds to 1 (z ≳ 4.5, where the term is still 10⁻⁶).
    /// </summary>
    private readonly struct Derivative : IVectorFunction
    {
        /// <summary>Sixteen lanes.</summary>
        /// <param name="z">Pre-activations.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Of(Vector512<float> z)
        {
            Vector512<float> zz = z * z;
            Vector512<float> x = Vector512.Create(2f * C) * (z + (Vector512.Create(K) * zz * z));
            Vector512<float> e = Exponential.Of(-Vector512.Abs(x));
            Vector512<float> nonNegative = Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero);
            Vector512<float> denominator = Vector512<float>.One + e;
            Vector512<float> s = Vector512.ConditionalSelect(nonNegative, Vector512<float>.One, e) / denominator;
            Vector512<float> complement = Vector512.ConditionalSelect(nonNegative, e, Vector512<float>.One) / denominator;
            Vector512<float> slope = Vector512.Create(2f * C) * (Vector512<float>.One + (Vector512.Create(3f * K) * zz));
            return s + (z * s * complement * slope);
        }

        /// <summary>Eight lanes.</summary>
        /// <param name="z">Pre-activations.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Of(Vector256<float> z)
        {
            Vector256<float> zz = z * z;
            Vector256<float> x = Vector256.Create(2f * C) * (z + (Vector256.Create(K) * zz * z));
            Vector256<float> e = Exponential.Of(-Vector256.Abs(x));
            Vector256<float> nonNegative = Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero);
            Vector256<float> denominator = Vector256<float>.One + e;
            Vector256<float> s = Vector256.ConditionalSelect(nonNegative, Vector256<float>.One, e) / denominator;
            Vector256<float> complement = Vector256.ConditionalSelect(nonNegative, e, Vector256<float>.One) / denominator;
            Vector256<float> slope = Vector256.Create(2f * C) * (Vector256<float>.One + (Vector256.Create(3f * K) * zz));
            return s + (z * s * complement * slope);
        }
    }
}
