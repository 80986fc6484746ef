using Backprop.MLNet.Engine.Optimizers;

namespace Backprop.MLNet.Tests.Engine.Optimizers;

/// <summary>SGD (plain, momentum, Nesterov) and Adam updates against the scikit-learn formulas.</summary>
public class OptimizerTests
{
    private static readonly float[] Start = [1f, -2f, 0.5f];
    private static readonly float[] G1 = [0.1f, -0.2f, 0.3f];
    private static readonly float[] G2 = [0.05f, 0.1f, -0.1f];

    // Values of order 1 updated in float32: 1e-6 is ~10 ulps.
    private const double Tolerance = 1e-6;

    /// <summary>
    /// Momentum 0.9, lr 0.1, classical momentum:
    /// v1 = −0.1·g1 = [−0.01, 0.02, −0.03], θ1 = [0.99, −1.98, 0.47];
    /// v2 = 0.9·v1 − 0.1·g2 = [−0.014, 0.008, −0.017], θ2 = [0.976, −1.972, 0.453].
    /// </summary>
    [Fact]
    public void SgdWithMomentumTwoSteps()
    {
        float[] p = (float[])Start.Clone();
        var sgd = new SgdOptimizer(3, 0.9, nesterov: false);
        sgd.Step(p, G1, 0.1);
        AssertClose([0.99, -1.98, 0.47], p);
        sgd.Step(p, G2, 0.1);
        AssertClose([0.976, -1.972, 0.453], p);
        AssertClose([-0.014, 0.008, -0.017], sgd.Velocity);
    }

    /// <summary>
    /// Momentum 0.9, lr 0.1, Nesterov: update = 0.9·v_new − 0.1·g.
    /// v1 = [−0.01, 0.02, −0.03], u1 = [−0.019, 0.038, −0.057], θ1 = [0.981, −1.962, 0.443];
    /// v2 = [−0.014, 0.008, −0.017], u2 = [−0.0176, −0.0028, −0.0053], θ2 = [0.9634, −1.9648, 0.4377].
    /// </summary>
    [Fact]
    public void SgdWithNesterovMomentumTwoSteps()
    {
        float[] p = (float[])Start.Clone();
        var sgd = new SgdOptimizer(3, 0.9, nesterov: true);
        sgd.Step(p, G1, 0.1);
        AssertClose([0.981, -1.962, 0.443], p);
        sgd.Step(p, G2, 0.1);
        AssertClose([0.9634, -1.9648, 0.4377], p);
    }

    /// <summary>Momentum 0 is plain gradient descent θ ← θ − lr·g, and Reset clears the velocity.</summary>
    [Fact]
    public void SgdWithoutMomentumIsPlainGradientDescent()
    {
        float[] p = (float[])Start.Clone();
        var sgd = new SgdOptimizer(3, 0, nesterov: true);
        sgd.Step(p, G1, 0.5);
        AssertClose([0.95, -1.9, 0.35], p);
        sgd.Reset();
        Assert.All(sgd.Velocity, v => Assert.Equal(0f, v));
    }

    /// <summary>
    /// SGD's vector loops (sixteen and eight elements, then one) give every element the bits of the formula evaluated one
    /// float at a time in scikit-learn's order, for both momentum kinds, over 37 elements (16 + 16 + 5, or 8 × 4 + 5) and
    /// three steps, full and lazy (rows of a subset).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SgdGivesTheScalarFormulasBitsAtEveryPosition(bool nesterov)
    {
        const int n = 37;
        var random = new Backprop.MLNet.Engine.SeededRandom(41);
        float[] p = TestData.Uniform(random, n, 2.0), v = new float[n], expectedP = (float[])p.Clone();
        var sgd = new SgdOptimizer(n, 0.9, nesterov);
        const float mu = 0.9f, lr = 0.05f;
        void Expect(float[] g, IEnumerable<int> elements)
        {
            foreach (int i in elements)
            {
                float s = lr * g[i];
                float velocity = (mu * v[i]) - s;
                v[i] = velocity;
                expectedP[i] += nesterov ? (mu * velocity) - s : velocity;
            }
        }

        for (int step = 0; step < 3; step++)
        {
            float[] g = TestData.Uniform(random, n, 1.0);
            sgd.Step(p, g, lr);
            Expect(g, Enumerable.Range(0, n));
            Assert.Equal(expectedP, p);
            Assert.Equal(v, sgd.Velocity);
        }

        // Lazy: rows 0 and 2 of width 9 (the parameters from 27 on always), each row the same bits.
        float[] gl = TestData.Uniform(random, n, 1.0);
        sgd.Step(p, gl, lr, new ParameterSubset([0, 2], 9, 27));
        Expect(gl, Enumerable.Range(0, 9).Concat(Enumerable.Range(18, 9)).Concat(Enumerable.Range(27, 10)));
        Assert.Equal(expectedP, p);
        Assert.Equal(v, sgd.Velocity);
    }

    /// <summary>
    /// Adam (lr 0.01, β1 0.9, β2 0.999, ε 1e-8) against the formula evaluated in double:
    /// t += 1; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; lr_t = lr·√(1−β2ᵗ)/(1−β1ᵗ); θ −= lr_t·m/(√v + ε).
    /// On the first step m/√v = sign(g)·0.1/√0.001, so every parameter moves by almost exactly lr = 0.01.
    /// </summary>
    [Fact]
    public void AdamTwoStepsMatchTheFormula()
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        float[] p = (float[])Start.Clone();
        var adam = new AdamOptimizer(3, b1, b2, eps);

        double[] expected = Array.ConvertAll(Start, v => (double)v);
        double[] m = new double[3];
        double[] v = new double[3];
        for (int t = 1; t <= 2; t++)
        {
            float[] g = t == 1 ? G1 : G2;
            adam.Step(p, g, lr);
            double lrT = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
            for (int i = 0; i < 3; i++)
            {
                m[i] = (b1 * m[i]) + ((1 - b1) * g[i]);
                v[i] = (b2 * v[i]) + ((1 - b2) * g[i] * g[i]);
                expected[i] -= lrT * m[i] / (Math.Sqrt(v[i]) + eps);
            }

            AssertClose(expected, p);
            if (t == 1)
            {
                AssertClose([0.99, -1.99, 0.49], p); // each moved by lr against its gradient's sign
            }
        }

        Assert.Equal(2, adam.StepCount);
        AssertClose(m, adam.FirstMoment);
        AssertClose(v, adam.SecondMoment);
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], Tolerance);
        }
    }
}
