using System;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine;

/// <summary>
/// Adam, exactly as scikit-learn's <c>AdamOptimizer</c>: t ← t + 1; m ← β₁·m + (1 − β₁)·g;
/// v ← β₂·v + (1 − β₂)·g²; lr_t = lr·sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ); θ ← θ − lr_t·m / (sqrt(v) + ε).
/// </summary>
internal sealed class AdamOptimizer : IOptimizer
{
    /// <summary>Creates the optimizer with zero moments and t = 0.</summary>
    /// <param name="parameterCount">Number of parameters.</param>
    /// <param name="beta1">Decay β₁ of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay β₂ of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Numerical-stability term ε (&gt; 0).</param>
    public AdamOptimizer(int parameterCount, double beta1, double beta2, double epsilon)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        if (!(beta1 >= 0 && beta1 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "Beta1 must be in [0, 1).");
        }

        if (!(beta2 >= 0 && beta2 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Beta2 must be in [0, 1).");
        }

        if (!(epsilon > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive.");
        }

        FirstMoment = new float[parameterCount];
        SecondMoment = new float[parameterCount];
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>The first-moment estimate m (state to save for a warm start).</summary>
    public float[] FirstMoment { get; }

    /// <summary>The second-moment estimate v (state to save for a warm start).</summary>
    public float[] SecondMoment { get; }

    /// <summary>Number of steps taken so far, t (state to save for a warm start).</summary>
    public long StepCount { get; set; }

    /// <summary>The first-moment decay β₁.</summary>
    public double Beta1 { get; }

    /// <summary>The second-moment decay β₂.</summary>
    public double Beta2 { get; }

    /// <summary>The stability term ε.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public int ParameterCount => FirstMoment.Length;

    /// <inheritdoc />
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, double learningRate)
    {
        int n = FirstMoment.Length;
        parameters = parameters[..n];
        gradient = gradient[..n];
        StepCount++;
        double t = StepCount;
        float stepSize = (float)(learningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
        float b1 = (float)Beta1;
        float b2 = (float)Beta2;
        float c1 = (float)(1 - Beta1);
        float c2 = (float)(1 - Beta2);
        float eps = (float)Epsilon;
        Span<float> m = FirstMoment;
        Span<float> v = SecondMoment;
        int i = 0;

        // The same operations in the same order in every lane as in the scalar tail (no fused multiply-add),
        // so the result does not depend on the vector width.
        if (Vector512.IsHardwareAccelerated)
        {
            var vb1 = Vector512.Create(b1);
            var vb2 = Vector512.Create(b2);
            var vc1 = Vector512.Create(c1);
            var vc2 = Vector512.Create(c2);
            var veps = Vector512.Create(eps);
            var vstep = Vector512.Create(stepSize);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var g = Vector512.Create(gradient.Slice(i, Vector512<float>.Count));
                var mi = (vb1 * Vector512.Create(m.Slice(i, Vector512<float>.Count))) + (vc1 * g);
                var vi = (vb2 * Vector512.Create(v.Slice(i, Vector512<float>.Count))) + (vc2 * g * g);
                mi.CopyTo(m.Slice(i));
                vi.CopyTo(v.Slice(i));
                var p = Vector512.Create(parameters.Slice(i, Vector512<float>.Count));
                (p - (vstep * mi / (Vector512.Sqrt(vi) + veps))).CopyTo(parameters.Slice(i));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vb1 = Vector256.Create(b1);
            var vb2 = Vector256.Create(b2);
            var vc1 = Vector256.Create(c1);
            var vc2 = Vector256.Create(c2);
            var veps = Vector256.Create(eps);
            var vstep = Vector256.Create(stepSize);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Create(gradient.Slice(i, Vector256<float>.Count));
                var mi = (vb1 * Vector256.Create(m.Slice(i, Vector256<float>.Count))) + (vc1 * g);
                var vi = (vb2 * Vector256.Create(v.Slice(i, Vector256<float>.Count))) + (vc2 * g * g);
                mi.CopyTo(m.Slice(i));
                vi.CopyTo(v.Slice(i));
                var p = Vector256.Create(parameters.Slice(i, Vector256<float>.Count));
                (p - (vstep * mi / (Vector256.Sqrt(vi) + veps))).CopyTo(parameters.Slice(i));
            }
        }

        for (; i < n; i++)
        {
            float g = gradient[i];
            float mi = (b1 * m[i]) + (c1 * g);
            float vi = (b2 * v[i]) + (c2 * g * g);
            m[i] = mi;
            v[i] = vi;
            parameters[i] -= stepSize * mi / (MathF.Sqrt(vi) + eps);
        }
    }

    /// <inheritdoc />
    public OptimizerState GetState() => new(Solver.Adam, [(float[])FirstMoment.Clone(), (float[])SecondMoment.Clone()], StepCount);

    /// <inheritdoc />
    public void SetState(OptimizerState state)
    {
        state.CheckFits(Solver.Adam, 2, ParameterCount);
        state.Buffers[0].CopyTo(FirstMoment, 0);
        state.Buffers[1].CopyTo(SecondMoment, 0);
        StepCount = state.Steps;
    }

    /// <inheritdoc />
    public void Reset()
    {
        Array.Clear(FirstMoment);
        Array.Clear(SecondMoment);
        StepCount = 0;
    }
}
