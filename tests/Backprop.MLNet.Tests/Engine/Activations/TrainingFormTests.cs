using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine.Activations;

/// <summary>
/// The hidden activations' training forms (<see cref="HiddenActivation.InTraining"/>): tanh and sigmoid on the engine's
/// exponential, the others themselves; the same kind and derivative, accurate, and each value independent of where it sits.
/// </summary>
public class TrainingFormTests
{
    /// <summary>
    /// Only tanh and sigmoid have a training form of their own (GELU predicts with its training form, except in models of
    /// files before format 0x00010005: <see cref="GeluPredictsWithItsTrainingFormAndOldModelsByTanh"/>); every form keeps its
    /// function's kind and derivative.
    /// </summary>
    [Fact]
    public void TrainingFormsKeepKindAndDerivative()
    {
        var random = new SeededRandom(21);
        float[] activated = TestData.Uniform(random, 37, 0.9), errors = TestData.Uniform(random, 37);
        foreach (ActivationKind kind in Enum.GetValues<ActivationKind>())
        {
            HiddenActivation function = HiddenActivation.For(kind), training = function.InTraining;
            Assert.Equal(kind is ActivationKind.Tanh or ActivationKind.Sigmoid, !ReferenceEquals(function, training));
            Assert.Equal(kind, training.Kind);
            Assert.Equal(function.DerivativeFromPreActivation, training.DerivativeFromPreActivation);
            float[] expected = (float[])errors.Clone(), actual = (float[])errors.Clone();
            function.MultiplyByDerivative(activated, expected);
            training.MultiplyByDerivative(activated, actual);
            Assert.Equal(expected, actual);
        }
    }

    /// <summary>
    /// Training's tanh is within three units in the last place of tanh computed in double and rounded to float, at every
    /// scale from 10⁻⁶ to 20 (near 0 its eˣ − 1 comes from a series, so there is no cancellation: TensorPrimitives.Tanh gives
    /// 5.96·10⁻⁸ for tanh(10⁻⁷)); it is odd bit for bit, keeps ±0, NaN and ±1 at ±∞, and gives a value the same bits alone
    /// as in a span (the sixteen- and eight-wide loops and the masked tail).
    /// </summary>
    [Fact]
    public void TrainingTanhIsAccurateOddAndIndependentOfPosition()
    {
        HiddenActivation tanh = HiddenActivation.For(ActivationKind.Tanh).InTraining;
        var random = new SeededRandom(22);
        foreach (double scale in new[] { 1e-6, 1e-3, 0.2, 1.0, 5.0, 20.0 })
        {
            float[] z = TestData.Uniform(random, 5_003, scale);
            float[] a = (float[])z.Clone();
            tanh.Apply(a);
            float[] negated = [.. z.Select(v => -v)];
            tanh.Apply(negated);
            var one = new float[1];
            for (int i = 0; i < z.Length; i++)
            {
                Assert.True(Ulps(a[i], (float)Math.Tanh(z[i])) <= 3, $"tanh({z[i]:R}) = {a[i]:R}, against {Math.Tanh(z[i]):R}");
                Assert.Equal(-a[i], negated[i]);
                one[0] = z[i];
                tanh.Apply(one);
                Assert.Equal(a[i], one[0]);
            }
        }

        float[] edges = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 30f, -30f];
        tanh.Apply(edges);
        Assert.Equal(BitConverter.SingleToInt32Bits(0f), BitConverter.SingleToInt32Bits(edges[0]));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(edges[1]));
        Assert.Equal([1f, -1f], edges[2..4]);
        Assert.True(float.IsNaN(edges[4]));
        Assert.Equal([1f, -1f], edges[5..]);
    }

    /// <summary>Training's sigmoid hidden activation is the sigmoid output's training activation, bit for bit.</summary>
    [Fact]
    public void TrainingSigmoidIsTheOutputsLogistic()
    {
        var random = new SeededRandom(23);
        float[] z = [.. TestData.Uniform(random, 1_001, 40.0), float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f];
        float[] hidden = (float[])z.Clone();
        HiddenActivation.For(ActivationKind.Sigmoid).InTraining.Apply(hidden);
        var output = new float[z.Length];
        OutputLayer.For(OutputKind.Sigmoid).ActivateInTraining(z, output, 1);
        Assert.Equal(output.Select(BitConverter.SingleToInt32Bits), hidden.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>
    /// Training's GELU, z·σ(2u), and its derivative are within (3·|2u| + 8) units of 2⁻²⁴ (relative) of the same function
    /// computed in double, from 10⁻³ to 20 in both signs: where σ is small (z well below 0) its relative error is its
    /// argument's absolute error, and 2u = 2√(2/π)·(z + 0.044715·z³) carries a few roundings of its size (the cube, the sum,
    /// the scaling, the float constants; 35 units seen at |2u| = 16), the rest a few roundings; the derivative relative to the size of its two
    /// terms, which cancel at GELU's minimum. (Below 10⁻³⁰ only the absolute error is bounded: σ underflows.) Each value is
    /// the same bits alone as in a span, for both functions.
    /// </summary>
    [Fact]
    public void TrainingGeluAndItsDerivativeAreAccurateAndIndependentOfPosition()
    {
        HiddenActivation gelu = HiddenActivation.For(ActivationKind.Gelu).InTraining;
        var random = new SeededRandom(24);
        const double c = 0.7978845608028654, k = 0.044715;
        foreach (double scale in new[] { 1e-3, 0.2, 1.0, 5.0, 20.0 })
        {
            float[] z = TestData.Uniform(random, 4_001, scale);
            float[] f = (float[])z.Clone();
            gelu.Apply(f);
            float[] derivative = [.. z.Select(_ => 1f)];
            gelu.MultiplyByDerivative(z, derivative);
            var one = new float[1];
            var unit = new float[1];
            for (int i = 0; i < z.Length; i++)
            {
                // ½·(1 + tanh u) = σ(2u) and ½·(1 − tanh² u) = 2·σ(2u)·σ(−2u), in double from exp (1 + tanh u cancels).
                double x = z[i], u = c * (x + (k * x * x * x));
                double sigma = 1 / (1 + Math.Exp(-2 * u)), complement = 1 / (1 + Math.Exp(2 * u));
                double exactF = x * sigma;
                double rest = 2 * x * sigma * complement * c * (1 + (3 * k * x * x)), exactD = sigma + rest;
                double bound = ((3 * Math.Abs(2 * u)) + 8) * Math.Pow(2, -24);
                Assert.True(Math.Abs(f[i] - exactF) <= (bound * Math.Abs(exactF)) + 1e-30, $"gelu({z[i]:R}) = {f[i]:R}, against {exactF:R}");
                // The derivative's two terms cancel near GELU's minimum (z ≈ −0.75, where it is 0): bounded by their size.
                Assert.True(Math.Abs(derivative[i] - exactD) <= (bound * (Math.Abs(sigma) + Math.Abs(rest))) + 1e-30, $"gelu'({z[i]:R}) = {derivative[i]:R}, against {exactD:R}");
                one[0] = z[i];
                gelu.Apply(one);
                Assert.Equal(f[i], one[0]);
                unit[0] = 1f;
                gelu.MultiplyByDerivative(z.AsSpan(i, 1), unit);
                Assert.Equal(derivative[i], unit[0]);
            }
        }

        // At z = 5, σ(2u) rounds to 1 in float, yet f′ = 1 + 1.6·10⁻⁶ (its second term from σ(−2u), not from 1 − σ(2u) = 0).
        float[] five = [1f];
        gelu.MultiplyByDerivative([5f], five);
        Assert.True(five[0] > 1f, $"gelu'(5) = {five[0]:R}");
    }

    /// <summary>
    /// GELU predicts with the form it trains with (z·σ(2u), on vectors); the form of models saved before format 0x00010005
    /// (<see cref="GeluActivation.ByTanh"/>) is ½·z·(1 + MathF.Tanh(u)) one value at a time, bit for bit, trains with the
    /// current form and has its derivative; the two agree within the training form's bound (see the test above) plus two
    /// units of MathF.Tanh's.
    /// </summary>
    [Fact]
    public void GeluPredictsWithItsTrainingFormAndOldModelsByTanh()
    {
        HiddenActivation gelu = HiddenActivation.For(ActivationKind.Gelu), byTanh = GeluActivation.ByTanh;
        Assert.Same(gelu, gelu.InTraining);
        Assert.Same(gelu, byTanh.InTraining);
        Assert.Equal(ActivationKind.Gelu, byTanh.Kind);
        Assert.True(byTanh.DerivativeFromPreActivation);

        var random = new SeededRandom(25);
        float[] z = TestData.Uniform(random, 1_001, 6.0);
        float[] current = (float[])z.Clone(), old = (float[])z.Clone();
        gelu.Apply(current);
        byTanh.Apply(old);
        for (int i = 0; i < z.Length; i++)
        {
            float x = z[i];
            float expected = 0.5f * x * (1f + MathF.Tanh(GeluActivation.C * (x + (GeluActivation.K * x * x * x))));
            Assert.Equal(expected, old[i]);
            double u = GeluActivation.C * (x + (GeluActivation.K * (double)x * x * x));
            double bound = (((3 * Math.Abs(2 * u)) + 8) * Math.Pow(2, -24) * Math.Abs(expected)) + (2 * Math.Pow(2, -23) * Math.Abs(x)) + 1e-30;
            Assert.True(Math.Abs(current[i] - old[i]) <= bound, $"gelu({x:R}): {current[i]:R} against {old[i]:R} by tanh");
        }

        Assert.NotEqual(current, old); // the forms are two computations (else the old files' test would not guard anything)
        float[] errors = TestData.Uniform(random, z.Length, 1.0);
        float[] viaCurrent = (float[])errors.Clone(), viaOld = (float[])errors.Clone();
        gelu.MultiplyByDerivative(z, viaCurrent);
        byTanh.MultiplyByDerivative(z, viaOld);
        Assert.Equal(viaCurrent, viaOld);
    }

    private static int Ulps(float a, float b) => Math.Abs(BitConverter.SingleToInt32Bits(a) - BitConverter.SingleToInt32Bits(b));
}
