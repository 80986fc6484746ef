using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Optimizers;

/// <summary>
/// Adam, exactly as scikit-learn's <c>AdamOptimizer</c>: t ← t + 1; m ← β₁·m + (1 − β₁)·g;
/// v ← β₂·v + (1 − β₂)·g²; lr_t = lr·sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ); θ ← θ − lr_t·m / (sqrt(v) + ε).
/// </summary>
internal sealed class AdamOptimizer : IOptimizer
{
    /// <summary>Parameter-sized buffers of state: the two moments.</summary>
    public const int StateBuffers = 2;

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

        FirstMoment = LargeArrays.Allocate<float>(parameterCount);
        SecondMoment = LargeArrays.Allocate<float>(parameterCount);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, double learningRate) =>
        Step(parameters, gradient, learningRate, new ParameterSubset(default, 0, 0), lazy: false);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, double learningRate, ParameterSubset subset) =>
        Step(parameters, gradient, learningRate, subset, lazy: true);

    /// <inheritdoc />
    /// <remarks>Adam finishes each element of the raw gradient as it reads it, in its own pass (see <see cref="AdamUpdate"/>).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(Span<float> parameters, Span<float> rawGradient, double learningRate, in RawGradient finish) =>
        Step(parameters, rawGradient, learningRate, new ParameterSubset(default, 0, 0), lazy: false, finish);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Step(Span<float> parameters, ReadOnlySpan<float> gradient, double learningRate, ParameterSubset subset, bool lazy, in RawGradient finish = default)
    {
        int n = FirstMoment.Length;
        parameters = parameters[..n];
        gradient = gradient[..n];
        StepCount++;
        double t = StepCount;
        fixed (float* p = parameters, g = gradient, m = FirstMoment, v = SecondMoment)
        fixed (int* rows = subset.Rows, ranges = finish.WeightRanges)
        {
            var update = new AdamUpdate
            {
                Parameters = p,
                Gradient = g,
                FirstMoment = m,
                SecondMoment = v,
                Count = n,
                Rows = lazy ? rows : null,
                RowCount = lazy ? subset.Rows.Length : 0,
                RowWidth = subset.RowWidth,
                TailStart = lazy ? subset.TailStart : 0,
                StepSize = (float)(learningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t))),
                Beta1 = (float)Beta1,
                Beta2 = (float)Beta2,
                OneMinusBeta1 = (float)(1 - Beta1),
                OneMinusBeta2 = (float)(1 - Beta2),
                Epsilon = (float)Epsilon,
                Finishes = finish.WeightRanges is not null,
                GradientScale = finish.Scale,
                L2 = finish.L2,
                WeightRanges = ranges,
                WeightRangeCount = finish.WeightRanges?.Length / 2 ?? 0,
            };
            KernelRunner.Run(update, Threads);
        }
    }

    /// <summary>Threads the update may use (each element is updated alone, so the result does not depend on it).</summary>
    public int Threads { get; init; } = 1;

    /// <inheritdoc />
    public OptimizerState GetState() => new(OptimizerKind.Adam, [FirstMoment, SecondMoment], StepCount);

    /// <inheritdoc />
    public void SetState(OptimizerState state)
    {
        state.CheckFits(OptimizerKind.Adam, StateBuffers, ParameterCount);
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
