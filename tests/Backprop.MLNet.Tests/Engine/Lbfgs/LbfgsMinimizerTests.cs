using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Lbfgs;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Tests.Training;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Engine.Lbfgs;

/// <summary>
/// <see cref="LbfgsMinimizer"/>: convergence on Rosenbrock and a quadratic, the evaluation budget, cancellation,
/// the strong Wolfe conditions of its accepted steps, non-finite losses, allocation, and a small MLP against Adam.
/// </summary>
public class LbfgsMinimizerTests
{
    /// <summary>scipy's default ftol = factr·eps = 1e7 · 2.22e-16.</summary>
    private const double ScipyFunctionTolerance = 1e7 * 2.220446049250313e-16;

    /// <summary>
    /// Chained Rosenbrock f = Σᵢ 100·(x_(i+1) − x_i²)² + (1 − x_i)², minimum 0 at (1, …, 1),
    /// computed in double from the float parameters.
    /// </summary>
    private static double Rosenbrock(ReadOnlySpan<float> p, Span<float> g)
    {
        double f = 0;
        int n = p.Length;
        for (int i = 0; i < n; i++)
        {
            double xi = p[i];
            double gi = 0;
            if (i > 0)
            {
                gi += 200 * (xi - ((double)p[i - 1] * p[i - 1]));
            }

            if (i < n - 1)
            {
                double t = p[i + 1] - (xi * xi);
                f += (100 * t * t) + ((1 - xi) * (1 - xi));
                gi += (-400 * xi * t) - (2 * (1 - xi));
            }

            g[i] = (float)gi;
        }

        return f;
    }

    /// <summary>From the classic start (−1.2, 1) the 2-D Rosenbrock valley is followed to (1, 1).</summary>
    [Fact]
    public void Rosenbrock2DConvergesToTheMinimum()
    {
        float[] p = [-1.2f, 1f];
        LbfgsResult result = new LbfgsMinimizer(2).Minimize(p, Rosenbrock, 1000, 15000, 1e-5, ScipyFunctionTolerance);
        Assert.InRange(p[0], 1 - 1e-3, 1 + 1e-3);
        Assert.InRange(p[1], 1 - 2e-3, 1 + 2e-3);
        Assert.True(result.Loss < 1e-7, $"loss {result.Loss}, {result.StopReason}");
        Assert.InRange(result.Iterations, 1, 100);
    }

    /// <summary>The 10-D chained Rosenbrock from (−1.2, 1, …) reaches (1, …, 1), also with a memory of 3 (ring buffer wraps).</summary>
    [Theory]
    [InlineData(10)]
    [InlineData(3)]
    public void Rosenbrock10DConvergesToTheMinimum(int memory)
    {
        float[] p = new float[10];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = i % 2 == 0 ? -1.2f : 1f;
        }

        LbfgsResult result = new LbfgsMinimizer(10, memory).Minimize(p, Rosenbrock, 1000, 15000, 1e-5, ScipyFunctionTolerance);
        Assert.True(result.Loss < 1e-6, $"loss {result.Loss}, {result.StopReason}");
        Assert.All(p, v => Assert.InRange(v, 1 - 5e-3, 1 + 5e-3));
    }

    /// <summary>
    /// f = ½·xᵀA·x − bᵀx with A = diag(1…6) + 0.3 on both off-diagonals (positive definite) and
    /// b = A·x*: the minimiser x* is found in a few more iterations than the dimension.
    /// </summary>
    [Fact]
    public void ConvexQuadraticConvergesInFewIterations()
    {
        double[] expected = [1, -2, 0.5, 3, -1, 2];
        int n = expected.Length;
        double Apply(ReadOnlySpan<float> x, int i) =>
            ((i + 1) * (double)x[i]) + (i > 0 ? 0.3 * x[i - 1] : 0) + (i < n - 1 ? 0.3 * x[i + 1] : 0);
        float[] target = Array.ConvertAll(expected, v => (float)v);
        double[] b = new double[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = Apply(target, i);
        }

        double Quadratic(ReadOnlySpan<float> x, Span<float> g)
        {
            double f = 0;
            for (int i = 0; i < n; i++)
            {
                double ax = Apply(x, i);
                f += (0.5 * x[i] * ax) - (b[i] * x[i]);
                g[i] = (float)(ax - b[i]);
            }

            return f;
        }

        float[] p = new float[n];
        LbfgsResult result = new LbfgsMinimizer(n).Minimize(p, Quadratic, 100, 1000, 1e-5, 0);
        Assert.Equal(LbfgsStopReason.GradientTolerance, result.StopReason);
        Assert.InRange(result.Iterations, 1, n + 4);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected[i], p[i], 1e-5);
        }
    }

    /// <summary>
    /// With no tolerance to stop on, the objective is called exactly as often as the budget allows
    /// (including the start point), the stop reason says so, and the returned point is the one with
    /// the lowest loss of all calls.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(20)]
    [InlineData(33)]
    public void EvaluationBudgetIsRespectedExactly(int budget)
    {
        int calls = 0;
        double lowest = double.PositiveInfinity;
        double Counted(ReadOnlySpan<float> x, Span<float> g)
        {
            calls++;
            double f = Rosenbrock(x, g);
            lowest = Math.Min(lowest, f);
            return f;
        }

        float[] p = [-1.2f, 1f];
        LbfgsResult result = new LbfgsMinimizer(2).Minimize(p, Counted, 1000, budget, 0, 0);
        Assert.Equal(budget, calls);
        Assert.Equal(budget, result.FunctionEvaluations);
        Assert.Equal(LbfgsStopReason.EvaluationLimit, result.StopReason);
        Assert.Equal(lowest, result.Loss);
        Assert.Equal(lowest, Rosenbrock(p, new float[2]));
    }

    /// <summary>The iteration limit stops after exactly that many accepted steps; 0 only evaluates the start.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public void IterationLimitIsRespected(int maxIterations)
    {
        int reported = 0;
        float[] p = [-1.2f, 1f];
        LbfgsResult result = new LbfgsMinimizer(2).Minimize(p, Rosenbrock, maxIterations, 15000, 0, 0, (_, _) => reported++);
        Assert.Equal(LbfgsStopReason.IterationLimit, result.StopReason);
        Assert.Equal(maxIterations, result.Iterations);
        Assert.Equal(maxIterations, reported);
    }

    /// <summary>
    /// checkAlive runs before every evaluation; when it throws, the exception propagates, no further
    /// evaluation happens and the caller's parameters still hold the start point.
    /// </summary>
    [Fact]
    public void CancellationFromCheckAlivePropagates()
    {
        int calls = 0;
        int checks = 0;
        float[] p = [-1.2f, 1f];
        var minimizer = new LbfgsMinimizer(2);
        Assert.Throws<OperationCanceledException>(() => minimizer.Minimize(
            p,
            (x, g) =>
            {
                calls++;
                return Rosenbrock(x, g);
            },
            1000,
            15000,
            0,
            0,
            checkAlive: () =>
            {
                if (++checks == 6)
                {
                    throw new OperationCanceledException();
                }
            }));
        Assert.Equal(5, calls);
        Assert.Equal([-1.2f, 1f], p);

        // The minimiser is reusable after an exception.
        LbfgsResult again = minimizer.Minimize(p, Rosenbrock, 1000, 15000, 1e-5, ScipyFunctionTolerance);
        Assert.True(again.Loss < 1e-7);
    }

    /// <summary>
    /// Every accepted step α satisfies φ(α) ≤ φ(0) + 1e-4·α·φ′(0) and |φ′(α)| ≤ 0.9·|φ′(0)|; the reported
    /// losses are those of the accepted steps and strictly decrease, numbered 1, 2, ….
    /// </summary>
    [Fact]
    public void AcceptedStepsSatisfyTheStrongWolfeConditions()
    {
        var steps = new List<(double Loss0, double Slope0, LineSearchResult Search)>();
        var reports = new List<(int Iteration, double Loss)>();
        float[] p = new float[10];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = i % 2 == 0 ? -1.2f : 1f;
        }

        var minimizer = new LbfgsMinimizer(10)
        {
            AcceptedStepObserver = (loss0, slope0, search) => steps.Add((loss0, slope0, search)),
        };
        LbfgsResult result = minimizer.Minimize(p, Rosenbrock, 1000, 15000, 1e-5, ScipyFunctionTolerance, (k, loss) => reports.Add((k, loss)));

        Assert.True(steps.Count > 20);
        Assert.Equal(result.Iterations, steps.Count);
        Assert.Equal(steps.Count, reports.Count);
        double previous = double.PositiveInfinity;
        for (int k = 0; k < steps.Count; k++)
        {
            (double loss0, double slope0, LineSearchResult s) = steps[k];
            Assert.Equal(LineSearchStatus.Converged, s.Status);
            Assert.True(slope0 < 0);
            Assert.True(s.Step > 0);
            Assert.True(s.Loss <= loss0 + (1e-4 * s.Step * slope0), $"step {k + 1}: no sufficient decrease");
            Assert.True(Math.Abs(s.Slope) <= 0.9 * Math.Abs(slope0), $"step {k + 1}: curvature condition fails");
            Assert.Equal(k + 1, reports[k].Iteration);
            Assert.Equal(s.Loss, reports[k].Loss);
            Assert.True(s.Loss < previous);
            previous = s.Loss;
        }
    }

    /// <summary>
    /// A pseudo-Huber bowl Σ √(1 + (x_i − 1)²) that is NaN (or +∞) wherever some x_i ≥ 2: starting far
    /// away, the long steps the nearly linear slope invites land in the undefined region, and the
    /// minimiser shrinks them instead of returning non-finite parameters.
    /// </summary>
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonFiniteTrialLossShrinksTheStep(double undefined)
    {
        int undefinedCalls = 0;
        double Bowl(ReadOnlySpan<float> x, Span<float> g)
        {
            double f = 0;
            for (int i = 0; i < x.Length; i++)
            {
                if (x[i] >= 2)
                {
                    undefinedCalls++;
                    g.Fill(float.NaN);
                    return undefined;
                }

                double r = Math.Sqrt(1 + ((x[i] - 1.0) * (x[i] - 1.0)));
                f += r;
                g[i] = (float)((x[i] - 1.0) / r);
            }

            return f;
        }

        float[] p = [-50f, -30f];
        LbfgsResult result = new LbfgsMinimizer(2).Minimize(p, Bowl, 1000, 15000, 1e-6, ScipyFunctionTolerance);
        Assert.True(undefinedCalls > 0, "The test should reach the undefined region.");
        Assert.True(result.Converged, result.StopReason.ToString());
        Assert.True(double.IsFinite(result.Loss));
        Assert.All(p, v => Assert.InRange(v, 1 - 1e-3, 1 + 1e-3));
    }

    /// <summary>A non-finite loss at the start point stops at once and leaves the parameters alone.</summary>
    [Fact]
    public void NonFiniteStartIsReportedAndParametersAreUntouched()
    {
        float[] p = [3f, 4f];
        LbfgsResult result = new LbfgsMinimizer(2).Minimize(p, (_, g) => { g.Clear(); return double.NaN; }, 10, 10, 0, 0);
        Assert.Equal(LbfgsStopReason.NonFiniteStart, result.StopReason);
        Assert.Equal(1, result.FunctionEvaluations);
        Assert.Equal([3f, 4f], p);
    }

    /// <summary>
    /// After the first iteration (JIT warm-up) the minimiser allocates nothing: between the first and
    /// the last iteration of a 10-D Rosenbrock run (dozens of iterations) the thread allocates no bytes.
    /// </summary>
    [Fact]
    public void IterationsDoNotAllocate()
    {
        float[] p = new float[10];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = i % 2 == 0 ? -1.2f : 1f;
        }

        var minimizer = new LbfgsMinimizer(10);
        LossAndGradient f = Rosenbrock;
        minimizer.Minimize((float[])p.Clone(), f, 1000, 15000, 1e-5, ScipyFunctionTolerance);
        long first = 0, last = 0;
        int iterations = 0;
        Action<int, double> onIteration = (k, _) =>
        {
            long now = GC.GetAllocatedBytesForCurrentThread();
            if (k == 1)
            {
                first = now;
            }

            last = now;
            iterations = k;
        };
        minimizer.Minimize(p, f, 1000, 15000, 1e-5, ScipyFunctionTolerance, onIteration);
        Assert.True(iterations > 20);
        Assert.Equal(0, last - first);
    }

    /// <summary>
    /// On a small 3-class problem (60 rows, 4 features, one tanh layer of 8) L-BFGS from the same
    /// initial weights reaches a lower full-batch training loss than 5 epochs of Adam, and the loss it
    /// reports is the loss at the parameters it returns.
    /// </summary>
    [Fact]
    public void MlpLossFallsBelowFiveEpochsOfAdam()
    {
        const int rows = 60, inputs = 4, classes = 3;
        const float l2 = 1e-4f;
        var random = new SeededRandom(21);
        float[] x = TestData.Uniform(random, rows * inputs);
        var y = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.AsSpan(r * inputs, inputs);
            y[r] = row[0] + row[1] > 0.3f ? 0 : row[2] > 0 ? 1 : 2;
        }

        Network initial = Network.CreateInitialized(inputs, [8], classes, ActivationKind.Tanh, OutputKind.Softmax, seed: 3);
        var settings = TestSettings.Default with
        {
            HiddenLayerSizes = [8],
            Activation = ActivationKind.Tanh,
            OutputKind = OutputKind.Softmax,
            OutputSize = classes,
            Solver = SolverKind.Adam,
            LearningRate = 0.01,
            BatchSize = 10,
            MaximumNumberOfEpochs = 5,
            L2Regularization = l2,
        };
        Network adam = MlpTrainer.Train(new TrainingData(x, y, rows, inputs, 1), settings, resume: new TrainingCheckpoint { Network = initial }).Network;
        double adamLoss = new BackpropWorkspace(adam, rows).ComputeLoss(x, y, rows, l2);

        Network network = initial.Clone();
        var workspace = new BackpropWorkspace(network, rows);
        double Loss(ReadOnlySpan<float> p, Span<float> g)
        {
            p.CopyTo(network.Parameters);
            return workspace.ComputeLossAndGradient(x, y, rows, l2, g);
        }

        double initialLoss = workspace.ComputeLoss(x, y, rows, l2);
        LbfgsResult result = new LbfgsMinimizer(network.ParameterCount).Minimize(
            network.Parameters, Loss, 200, 15000, 1e-4, ScipyFunctionTolerance);
        double lbfgsLoss = workspace.ComputeLoss(x, y, rows, l2);

        Assert.Equal(result.Loss, lbfgsLoss, 1e-9);
        Assert.True(adamLoss < initialLoss, $"Adam should make some progress: {initialLoss} → {adamLoss}");
        Assert.True(lbfgsLoss < 0.5 * adamLoss, $"L-BFGS {lbfgsLoss} ({result.StopReason}, {result.Iterations} iterations) vs Adam {adamLoss}");
    }
}
