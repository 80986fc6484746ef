using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum, exactly as scikit-learn's <c>SGDOptimizer</c>:
/// v ← μ·v − lr·g; the update is μ·v − lr·g with Nesterov momentum and v otherwise; θ ← θ + update.
/// With μ = 0 this is plain θ ← θ − lr·g.
/// </summary>
internal sealed class SgdOptimizer : IOptimizer
{
    /// <summary>Parameter-sized buffers of state: the velocity.</summary>
    public const int StateBuffers = 1;

    /// <summary>Creates the optimizer with zero velocity.</summary>
    /// <param name="parameterCount">Number of parameters.</param>
    /// <param name="momentum">Momentum μ in [0, 1].</param>
    /// <param name="nesterov">Whether to use Nesterov's momentum.</param>
    public SgdOptimizer(int parameterCount, double momentum, bool nesterov)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        if (!(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1].");
        }

        Velocity = LargeArrays.Allocate<float>(parameterCount);
        Momentum = momentum;
        Nesterov = nesterov;
    }

    /// <summary>The velocity v (state to save for a warm start).</summary>
    public float[] Velocity { get; }

    /// <summary>The momentum μ.</summary>
    public double Momentum { get; }

    /// <summary>Whether Nesterov's momentum is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc />
    public int ParameterCount => Velocity.Length;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, double learningRate)
    {
        int n = Velocity.Length;
        Update(parameters[..n], gradient[..n], Velocity, (float)learningRate);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, double learningRate, ParameterSubset subset)
    {
        int n = Velocity.Length;
        int w = subset.RowWidth;
        foreach (int row in subset.Rows)
        {
            Update(parameters.Slice(row * w, w), gradient.Slice(row * w, w), Velocity.AsSpan(row * w, w), (float)learningRate);
        }

        Update(parameters[subset.TailStart..n], gradient[subset.TailStart..n], Velocity.AsSpan(subset.TailStart), (float)learningRate);
    }

    /// <summary>One momentum step over matching slices of the parameters, gradient and velocity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Update(Span<float> parameters, ReadOnlySpan<float> gradient, Span<float> v, float lr)
    {
        float mu = (float)Momentum;
        if (Nesterov)
        {
            for (int i = 0; i < v.Length; i++)
            {
                float step = lr * gradient[i];
                float velocity = (mu * v[i]) - step;
                v[i] = velocity;
                parameters[i] += (mu * velocity) - step;
            }
        }
        else
        {
            for (int i = 0; i < v.Length; i++)
            {
                float velocity = (mu * v[i]) - (lr * gradient[i]);
                v[i] = velocity;
                parameters[i] += velocity;
            }
        }
    }

    /// <inheritdoc />
    public void Reset() => Array.Clear(Velocity);

    /// <inheritdoc />
    public OptimizerState GetState() => new(OptimizerKind.Sgd, [Velocity], 0);

    /// <inheritdoc />
    public void SetState(OptimizerState state)
    {
        state.CheckFits(OptimizerKind.Sgd, StateBuffers, ParameterCount);
        state.Buffers[0].CopyTo(Velocity, 0);
    }
}
