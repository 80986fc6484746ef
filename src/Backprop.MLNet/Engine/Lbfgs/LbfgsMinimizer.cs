using System.Numerics.Tensors;

namespace Backprop.MLNet.Engine.Lbfgs;

/// <summary>
/// Full-batch limited-memory BFGS without bounds, the counterpart of scipy's L-BFGS-B as scikit-learn's
/// <c>solver='lbfgs'</c> calls it. Each iteration effectively computes d = −H·g with the two-loop
/// recursion over the last m pairs s = x_(k+1) − x_k, y = g_(k+1) − g_k (initial H₀ = γ·I with
/// γ = sᵀy / yᵀy of the newest pair), then takes a step x ← x + α·d whose α satisfies the strong Wolfe
/// conditions (<see cref="WolfeLineSearch"/>; α = 1 is tried first, or 1/‖g‖₂ while the memory is empty).
/// A pair with sᵀy ≤ ε·yᵀy (ε the double machine epsilon) is not stored.
/// </summary>
/// <remarks>
/// <para>
/// The objective sees float parameters; the direction, the memory and all dot products are kept in
/// double, and s and y are taken from the float points actually evaluated so that they agree with
/// the objective. All buffers are allocated in the constructor: <see cref="Minimize"/> allocates only
/// its result. Not thread-safe: one minimiser per thread.
/// </para>
/// <para>
/// When a line search fails the memory is discarded and the search is retried once along −g (as
/// L-BFGS-B does); when that fails too the minimiser stops with <see cref="LbfgsStopReason.LineSearchFailed"/>.
/// Whatever the reason for stopping, the point returned is the one with the lowest finite loss of all
/// points evaluated.
/// </para>
/// </remarks>
internal sealed class LbfgsMinimizer : ILineFunction
{
    /// <summary>The double machine epsilon 2⁻⁵², the ε of the pair-skipping rule sᵀy ≤ ε·yᵀy.</summary>
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>The number of (s, y) correction pairs kept by default (scipy's <c>maxcor</c>).</summary>
    public const int DefaultMemory = 10;

    /// <summary>
    /// Floats of buffer per parameter the minimizer allocates: the point, its gradient, the trial point and gradient, the best
    /// point (5 floats), the search direction (1 double) and <paramref name="memory"/> (s, y) pairs in double precision.
    /// </summary>
    /// <param name="memory">The number of correction pairs.</param>
    public static int FloatsPerParameter(int memory) => 5 + 2 + (2 * 2 * memory);

    private readonly float[] _x;
    private readonly float[] _gradient;
    private readonly float[] _trial;
    private readonly float[] _trialGradient;
    private readonly float[] _best;
    private readonly double[] _direction;
    private readonly double[][] _s;
    private readonly double[][] _y;
    private readonly double[] _rho;
    private readonly double[] _alpha;
    private readonly WolfeLineSearch _lineSearch = new();

    private int _historyCount;
    private int _newest;
    private double _gamma;
    private LossAndGradient? _function;
    private Action? _checkAlive;
    private int _evaluations;
    private double _bestLoss;
    private double _bestGradientNorm;

    /// <summary>Allocates the buffers for minimising over <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">Number of parameters (≥ 1).</param>
    /// <param name="memory">Number m of stored (s, y) pairs (≥ 1); default 10, scipy's <c>maxcor</c>.</param>
    public LbfgsMinimizer(int parameterCount, int memory = DefaultMemory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(memory, 1);
        ParameterCount = parameterCount;
        Memory = memory;
        _x = LargeArrays.Allocate<float>(parameterCount);
        _gradient = LargeArrays.Allocate<float>(parameterCount);
        _trial = LargeArrays.Allocate<float>(parameterCount);
        _trialGradient = LargeArrays.Allocate<float>(parameterCount);
        _best = LargeArrays.Allocate<float>(parameterCount);
        _direction = LargeArrays.Allocate<double>(parameterCount);
        _s = new double[memory][];
        _y = new double[memory][];
        for (int i = 0; i < memory; i++)
        {
            _s[i] = LargeArrays.Allocate<double>(parameterCount);
            _y[i] = LargeArrays.Allocate<double>(parameterCount);
        }

        _rho = new double[memory];
        _alpha = new double[memory];
    }

    /// <summary>Number of parameters.</summary>
    public int ParameterCount { get; }

    /// <summary>Number m of stored (s, y) pairs.</summary>
    public int Memory { get; }

    /// <summary>
    /// Test hook, called after every accepted step with φ(0) and φ′(0) of its line search and the
    /// search's result (whose step satisfies the strong Wolfe conditions).
    /// </summary>
    internal Action<double, double, LineSearchResult>? AcceptedStepObserver { get; set; }

    /// <summary>
    /// Minimises <paramref name="function"/> from the point in <paramref name="parameters"/> and writes
    /// the point with the lowest loss evaluated back into it.
    /// </summary>
    /// <param name="parameters">
    /// In: the start point. Out: the best point (unchanged when the start is not finite or an exception is thrown).
    /// It is read only on entry and written only on return, so it may be the buffer the objective itself
    /// evaluates from (e.g. <see cref="Network.Parameters"/> with an objective that copies its argument there).
    /// </param>
    /// <param name="function">The objective; called at most <paramref name="maxFunctionEvaluations"/> times.</param>
    /// <param name="maxIterations">Maximum number of accepted steps (≥ 0; scikit-learn's <c>max_iter</c>).</param>
    /// <param name="maxFunctionEvaluations">Maximum number of calls of <paramref name="function"/> including the one at the start (≥ 1; scikit-learn's <c>max_fun</c>).</param>
    /// <param name="gradientTolerance">Stop when max |g_i| ≤ this (≥ 0; scikit-learn's <c>tol</c>, scipy's <c>gtol</c>).</param>
    /// <param name="functionTolerance">
    /// Stop when (f_k − f_(k+1)) / max(|f_k|, |f_(k+1)|, 1) ≤ this (≥ 0; scipy's <c>ftol</c> = factr·eps, about 2.22e-9 by default).
    /// </param>
    /// <param name="onIteration">Called after every accepted step with the iteration number (from 1) and the loss there.</param>
    /// <param name="checkAlive">Called before every evaluation of <paramref name="function"/>; an exception it throws (e.g. <see cref="OperationCanceledException"/>) propagates.</param>
    /// <returns>Why it stopped, the counts, and the loss and gradient norm at the returned point.</returns>
    public LbfgsResult Minimize(
        Span<float> parameters,
        LossAndGradient function,
        int maxIterations,
        int maxFunctionEvaluations,
        double gradientTolerance,
        double functionTolerance,
        Action<int, double>? onIteration = null,
        Action? checkAlive = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (parameters.Length != ParameterCount)
        {
            throw new ArgumentException($"Expected {ParameterCount} parameters but got {parameters.Length}.", nameof(parameters));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxIterations);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFunctionEvaluations, 1);
        RequireTolerance(gradientTolerance, nameof(gradientTolerance));
        RequireTolerance(functionTolerance, nameof(functionTolerance));

        parameters.CopyTo(_x);
        _function = function;
        _checkAlive = checkAlive;
        _evaluations = 0;
        _historyCount = 0;
        try
        {
            LbfgsResult result = Run(maxIterations, maxFunctionEvaluations, gradientTolerance, functionTolerance, onIteration);
            if (result.StopReason != LbfgsStopReason.NonFiniteStart)
            {
                _best.CopyTo(parameters);
            }

            return result;
        }
        finally
        {
            _function = null;
            _checkAlive = null;
        }
    }

    /// <summary>Evaluates the objective at x + α·d (into the trial buffers) and keeps the best point seen.</summary>
    /// <param name="step">The step α.</param>
    /// <param name="slope">Receives ∇f(x + α·d)·d.</param>
    /// <returns>f(x + α·d).</returns>
    double ILineFunction.Evaluate(double step, out double slope)
    {
        for (int i = 0; i < _trial.Length; i++)
        {
            _trial[i] = (float)(_x[i] + (step * _direction[i]));
        }

        double loss = EvaluateAt(_trial, _trialGradient);
        slope = 0;
        for (int i = 0; i < _trialGradient.Length; i++)
        {
            slope += _trialGradient[i] * _direction[i];
        }

        if (double.IsFinite(loss) && double.IsFinite(slope) && loss < _bestLoss)
        {
            _trial.CopyTo(_best, 0);
            _bestLoss = loss;
            _bestGradientNorm = InfinityNorm(_trialGradient);
        }

        return loss;
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and non-negative.</summary>
    private static void RequireTolerance(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "The tolerance must be finite and non-negative.");
        }
    }

    /// <summary>True when the directional derivative g·d is negative and finite, so that d is a usable descent direction.</summary>
    private static bool IsDescent(double slope) => slope < 0 && double.IsFinite(slope);

    /// <summary>max |v_i| (NaN when any element is NaN).</summary>
    private static double InfinityNorm(ReadOnlySpan<float> values)
    {
        double norm = 0;
        foreach (float v in values)
        {
            double a = Math.Abs((double)v);
            if (double.IsNaN(a))
            {
                return double.NaN;
            }

            norm = Math.Max(norm, a);
        }

        return norm;
    }

    /// <summary>The iteration loop; see <see cref="Minimize"/>. Leaves the best point in <c>_best</c>.</summary>
    private LbfgsResult Run(int maxIterations, int maxEvaluations, double gradientTolerance, double functionTolerance, Action<int, double>? onIteration)
    {
        double loss = EvaluateAt(_x, _gradient);
        double gradientNorm = InfinityNorm(_gradient);
        if (!double.IsFinite(loss) || !double.IsFinite(gradientNorm))
        {
            return new LbfgsResult(LbfgsStopReason.NonFiniteStart, 0, _evaluations, loss, gradientNorm);
        }

        _x.CopyTo(_best, 0);
        _bestLoss = loss;
        _bestGradientNorm = gradientNorm;
        if (gradientNorm <= gradientTolerance)
        {
            return Result(LbfgsStopReason.GradientTolerance, 0);
        }

        int iteration = 0;
        while (true)
        {
            if (iteration >= maxIterations)
            {
                return Result(LbfgsStopReason.IterationLimit, iteration);
            }

            if (_evaluations >= maxEvaluations)
            {
                return Result(LbfgsStopReason.EvaluationLimit, iteration);
            }

            double slope = ComputeDirection();
            if (!IsDescent(slope) && _historyCount > 0)
            {
                // Rounding made the quasi-Newton direction useless: forget the memory and use −g.
                _historyCount = 0;
                slope = ComputeDirection();
            }

            if (!IsDescent(slope))
            {
                return Result(LbfgsStopReason.LineSearchFailed, iteration);
            }

            double initialStep = _historyCount == 0 ? 1 / Math.Sqrt(-slope) : 1;
            LineSearchResult search = _lineSearch.Search(this, loss, slope, initialStep, maxEvaluations - _evaluations);
            if (search.Status == LineSearchStatus.EvaluationLimit)
            {
                return Result(LbfgsStopReason.EvaluationLimit, iteration);
            }

            if (search.Status == LineSearchStatus.Failed)
            {
                if (_historyCount == 0)
                {
                    return Result(LbfgsStopReason.LineSearchFailed, iteration);
                }

                _historyCount = 0;
                continue;
            }

            AcceptedStepObserver?.Invoke(loss, slope, search);
            AcceptTrial();
            double previousLoss = loss;
            loss = search.Loss;
            iteration++;
            onIteration?.Invoke(iteration, loss);
            if (InfinityNorm(_gradient) <= gradientTolerance)
            {
                return Result(LbfgsStopReason.GradientTolerance, iteration);
            }

            double scale = Math.Max(Math.Max(Math.Abs(previousLoss), Math.Abs(loss)), 1);
            if (previousLoss - loss <= functionTolerance * scale)
            {
                return Result(LbfgsStopReason.FunctionTolerance, iteration);
            }
        }
    }

    /// <summary>The result for the best point seen.</summary>
    private LbfgsResult Result(LbfgsStopReason reason, int iterations) =>
        new(reason, iterations, _evaluations, _bestLoss, _bestGradientNorm);

    /// <summary>Calls <c>checkAlive</c>, then the objective, and counts the evaluation.</summary>
    private double EvaluateAt(float[] point, float[] gradient)
    {
        _checkAlive?.Invoke();
        _evaluations++;
        return _function!(point, gradient);
    }

    /// <summary>
    /// Two-loop recursion: writes d = −H·g into <c>_direction</c> (d = −g when the memory is empty) and
    /// returns the directional derivative g·d.
    /// </summary>
    private double ComputeDirection()
    {
        Span<double> d = _direction;
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = -(double)_gradient[i];
        }

        int m = Memory;
        for (int k = 0; k < _historyCount; k++)
        {
            int j = (_newest - k + m) % m;
            double a = _rho[j] * TensorPrimitives.Dot<double>(_s[j], d);
            _alpha[j] = a;
            TensorPrimitives.MultiplyAdd(_y[j], -a, d, d);
        }

        if (_historyCount > 0)
        {
            TensorPrimitives.Multiply(d, _gamma, d);
        }

        for (int k = _historyCount - 1; k >= 0; k--)
        {
            int j = (_newest - k + m) % m;
            double b = _rho[j] * TensorPrimitives.Dot<double>(_y[j], d);
            TensorPrimitives.MultiplyAdd(_s[j], _alpha[j] - b, d, d);
        }

        double slope = 0;
        for (int i = 0; i < d.Length; i++)
        {
            slope += _gradient[i] * d[i];
        }

        return slope;
    }

    /// <summary>
    /// Moves to the accepted trial point: stores s = x_trial − x and y = g_trial − g in the memory
    /// unless sᵀy ≤ ε·yᵀy, then makes the trial point and gradient current.
    /// </summary>
    private void AcceptTrial()
    {
        double sy = 0, yy = 0;
        for (int i = 0; i < _x.Length; i++)
        {
            double s = (double)_trial[i] - _x[i];
            double y = (double)_trialGradient[i] - _gradient[i];
            sy += s * y;
            yy += y * y;
        }

        if (sy > MachineEpsilon * yy)
        {
            int slot = _historyCount == 0 ? 0 : (_newest + 1) % Memory;
            double[] s = _s[slot];
            double[] y = _y[slot];
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = (double)_trial[i] - _x[i];
                y[i] = (double)_trialGradient[i] - _gradient[i];
            }

            _rho[slot] = 1 / sy;
            _gamma = sy / yy;
            _newest = slot;
            _historyCount = Math.Min(_historyCount + 1, Memory);
        }

        _trial.CopyTo(_x, 0);
        _trialGradient.CopyTo(_gradient, 0);
    }
}
