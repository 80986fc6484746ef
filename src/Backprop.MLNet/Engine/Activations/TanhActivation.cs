using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Engine.Activations;

/// <summary>The hyperbolic tangent activation: f(z) = tanh(z), f′ = 1 − a² (scikit-learn <c>'tanh'</c>).</summary>
internal sealed class TanhActivation : HiddenActivation
{
    /// <summary>The shared instance.</summary>
    public static readonly TanhActivation Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private TanhActivation()
    {
    }

    /// <inheritdoc />
    public override ActivationKind Kind => ActivationKind.Tanh;

    /// <inheritdoc />
    public override void Apply(Span<float> values) => TensorPrimitives.Tanh(values, values);

    /// <inheritdoc />
    public override HiddenActivation InTraining => TrainingForm.Instance;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta)
    {
        CheckSameLength(activated, delta);
        for (int i = 0; i < delta.Length; i++)
        {
            float a = activated[i];
            delta[i] *= 1f - (a * a);
        }
    }

    /// <summary>
    /// Training's tanh on <see cref="Exponential"/>: with m = eˣ − 1 at x = −2|z| ≤ 0, tanh z = sign(z) · (−m) / (2 + m).
    /// m comes from its Taylor series to x⁷/7! where |x| &lt; ½ ln 2 (no cancellation near 0; truncation below 2·10⁻⁸
    /// relative) and from eˣ − 1 beyond; in float, odd by construction, the same bits for a value wherever it sits in a span
    /// and on every machine. The derivative is <see cref="TanhActivation"/>'s.
    /// </summary>
    private sealed class TrainingForm : HiddenActivation
    {
        /// <summary>The shared instance.</summary>
        public static readonly TrainingForm Instance = new();

        private const float HalfLn2 = 0.34657359f;

        /// <inheritdoc />
        public override ActivationKind Kind => ActivationKind.Tanh;

        /// <inheritdoc />
        public override void Apply(Span<float> values) => VectorMap.Apply<Function>(values, values);

        /// <inheritdoc />
        public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta) =>
            TanhActivation.Instance.MultiplyByDerivative(activated, delta);

        /// <summary>tanh on vectors, for <see cref="VectorMap"/> (a struct, so that each call is compiled for it and inlined).</summary>
        private readonly struct Function : IVectorFunction
        {
            /// <summary>Sixteen lanes of <see cref="Apply"/>.</summary>
            /// <param name="z">Arguments.</param>
            [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
            public static Vector512<float> Of(Vector512<float> z)
            {
                Vector512<float> x = Vector512.Create(-2f) * Vector512.Abs(z);
                Vector512<float> q = (Vector512.Create(1f / 5040) * x) + Vector512.Create(1f / 720);
                q = (q * x) + Vector512.Create(1f / 120);
                q = (q * x) + Vector512.Create(1f / 24);
                q = (q * x) + Vector512.Create(1f / 6);
                q = (q * x) + Vector512.Create(1f / 2);
                q = (q * x) + Vector512<float>.One;
                Vector512<float> nearZero = Vector512.GreaterThan(x, Vector512.Create(-HalfLn2));
                Vector512<float> m = Vector512.ConditionalSelect(nearZero, q * x, Exponential.Of(x) - Vector512<float>.One);
                Vector512<float> t = -m / (Vector512.Create(2f) + m);
                return (t.AsInt32() | (z.AsInt32() & Vector512.Create(int.MinValue))).AsSingle();
            }

            /// <summary>Eight lanes of <see cref="Apply"/>.</summary>
            /// <param name="z">Arguments.</param>
            [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
            public static Vector256<float> Of(Vector256<float> z)
            {
                Vector256<float> x = Vector256.Create(-2f) * Vector256.Abs(z);
                Vector256<float> q = (Vector256.Create(1f / 5040) * x) + Vector256.Create(1f / 720);
                q = (q * x) + Vector256.Create(1f / 120);
                q = (q * x) + Vector256.Create(1f / 24);
                q = (q * x) + Vector256.Create(1f / 6);
                q = (q * x) + Vector256.Create(1f / 2);
                q = (q * x) + Vector256<float>.One;
                Vector256<float> nearZero = Vector256.GreaterThan(x, Vector256.Create(-HalfLn2));
                Vector256<float> m = Vector256.ConditionalSelect(nearZero, q * x, Exponential.Of(x) - Vector256<float>.One);
                Vector256<float> t = -m / (Vector256.Create(2f) + m);
                return (t.AsInt32() | (z.AsInt32() & Vector256.Create(int.MinValue))).AsSingle();
            }
        }
    }
}
