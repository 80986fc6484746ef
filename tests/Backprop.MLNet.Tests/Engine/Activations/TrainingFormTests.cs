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
    /// <summary>Only tanh and sigmoid have a training form of their own; every form keeps its function's kind and derivative.</summary>
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

    private static int Ulps(float a, float b) => Math.Abs(BitConverter.SingleToInt32Bits(a) - BitConverter.SingleToInt32Bits(b));
}
