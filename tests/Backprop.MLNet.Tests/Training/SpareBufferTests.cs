using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Tests.Engine;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training;

/// <summary>
/// The buffer training hands back when it ends (<see cref="TrainingResult.Spare"/>, its gradient) and the standardisation
/// folded into it (<see cref="InputStandardization.Fold"/>, <see cref="Network.CloneInto"/>).
/// </summary>
public class SpareBufferTests
{
    /// <summary>
    /// The spare buffer has the network's parameter count and is none of the arrays the result keeps (the parameters, the
    /// optimizer's state), for a first layer trained as it is and one trained transposed (its transpositions' scratch).
    /// </summary>
    [Theory]
    [InlineData(5, (int)SolverKind.Adam)]
    [InlineData(70, (int)SolverKind.Adam)]
    [InlineData(70, (int)SolverKind.Lbfgs)]
    public void TheSpareIsTheParameterCountAndSharedWithNothingKept(int hidden, int solver)
    {
        TrainingData data = MlpTrainerTests.EasyBinary(60, 2);
        TrainingResult result = MlpTrainer.Train(data, MlpTrainerTests.Settings() with
        {
            HiddenLayerSizes = [hidden],
            Solver = (SolverKind)solver,
            MaximumNumberOfEpochs = 3,
        });

        float[] spare = Assert.IsType<float[]>(result.Spare);
        Assert.Equal(result.Network.ParameterCount, spare.Length);
        Assert.NotSame(result.Network.Parameters, spare);
        Assert.NotSame(result.Checkpoint.Network.Parameters, spare);
        Assert.All(result.Checkpoint.Optimizer?.Buffers ?? [], buffer => Assert.NotSame(buffer, spare));
    }

    /// <summary>
    /// Folding into a given buffer keeps that buffer as the folded network's parameters and gives the bits of a fold into a
    /// new array; a buffer of another length is not used.
    /// </summary>
    [Fact]
    public void FoldingIntoABufferGivesTheSameBits()
    {
        var random = new SeededRandom(31);
        var trained = new Network(7, [5, 3], 2, ActivationKind.Relu, OutputKind.Softmax);
        GlorotInitializer.Initialize(trained, random);
        float[] mean = TestData.Uniform(random, 7, 3.0), scale = [.. TestData.Uniform(random, 7, 1.0).Select(v => 0.5f + Math.Abs(v))];
        var standardization = new InputStandardization(mean, scale);
        float[] before = (float[])trained.Parameters.Clone();

        Network fresh = standardization.Fold(trained);
        float[] storage = [.. Enumerable.Repeat(float.NaN, trained.ParameterCount)];
        Network intoStorage = standardization.Fold(trained, storage);

        Assert.Same(storage, intoStorage.Parameters);
        Assert.Equal(fresh.Parameters, intoStorage.Parameters);
        Assert.NotEqual(before, fresh.Parameters); // the fold changed the first layer
        Assert.Equal(before, trained.Parameters); // and left the trained network alone
        Network wrongLength = standardization.Fold(trained, new float[trained.ParameterCount + 1]);
        Assert.Equal(fresh.Parameters, wrongLength.Parameters);
        Assert.Equal(trained.ParameterCount, wrongLength.Parameters.Length);
    }

    /// <summary>CloneInto refuses a buffer of another length, naming it, and keeps the prediction form.</summary>
    [Fact]
    public void CloneIntoChecksTheLengthAndKeepsTheForm()
    {
        Network gelu = Network.FromParameters([3, 4, 1], ActivationKind.Gelu, OutputKind.Sigmoid, new float[21], geluByTanh: true);
        ArgumentException error = Assert.Throws<ArgumentException>(() => gelu.CloneInto(new float[20]));
        Assert.Equal("storage", error.ParamName);
        Assert.Contains("20", error.Message);
        Assert.True(gelu.CloneInto(new float[21]).PredictsGeluByTanh);
    }
}
