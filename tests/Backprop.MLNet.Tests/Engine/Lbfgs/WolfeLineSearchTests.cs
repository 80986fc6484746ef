using Backprop.MLNet.Engine.Lbfgs;

namespace Backprop.MLNet.Tests.Engine.Lbfgs;

/// <summary><see cref="WolfeLineSearch"/> on its own, on one-dimensional functions.</summary>
public class WolfeLineSearchTests
{
    /// <summary>The line search alone meets the strong Wolfe conditions on 1-D functions from very short and very long first steps.</summary>
    [Theory]
    [InlineData(1e-4)]
    [InlineData(1.0)]
    [InlineData(1e4)]
    public void LineSearchFindsStrongWolfeSteps(double initialStep)
    {
        // φ(α) = (α − 2)⁴ + ½·(α − 2)², not quadratic, minimum at α = 2.
        var line = new LineOf(a => (Math.Pow(a - 2, 4) + (0.5 * (a - 2) * (a - 2)), (4 * Math.Pow(a - 2, 3)) + (a - 2)));
        (double loss0, double slope0) = line.Phi(0);
        LineSearchResult s = new WolfeLineSearch().Search(line, loss0, slope0, initialStep, 100);
        Assert.Equal(LineSearchStatus.Converged, s.Status);
        Assert.True(s.Loss <= loss0 + (1e-4 * s.Step * slope0));
        Assert.True(Math.Abs(s.Slope) <= 0.9 * Math.Abs(slope0));
        Assert.Equal(s.Evaluations, line.Calls);
        Assert.Equal(s.Step, line.LastStep);
    }


    /// <summary>A 1-D function φ given as a lambda, counting its calls.</summary>
    private sealed class LineOf : ILineFunction
    {
        private readonly Func<double, (double Loss, double Slope)> _phi;

        /// <summary>Wraps φ.</summary>
        public LineOf(Func<double, (double Loss, double Slope)> phi) => _phi = phi;

        /// <summary>Number of <see cref="Evaluate"/> calls.</summary>
        public int Calls { get; private set; }

        /// <summary>The step of the last <see cref="Evaluate"/> call.</summary>
        public double LastStep { get; private set; }

        /// <summary>φ and φ′ at α without counting.</summary>
        public (double Loss, double Slope) Phi(double step) => _phi(step);

        /// <inheritdoc/>
        public double Evaluate(double step, out double slope)
        {
            Calls++;
            LastStep = step;
            (double loss, slope) = _phi(step);
            return loss;
        }
    }
}
