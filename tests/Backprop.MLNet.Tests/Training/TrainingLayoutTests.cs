using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Tests.Engine;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training;

/// <summary>
/// How minibatch training holds and updates the parameters: the first layer held transposed, the raw gradient Adam
/// finishes as it steps. Each is checked bit for bit against the plain loop it replaces.
/// </summary>
public class TrainingLayoutTests
{
    /// <summary>
    /// A dense first layer of <see cref="MlpTrainer.TransposedFirstLayerOutputs"/> outputs is trained held transposed: an
    /// epoch equals, bit for bit, the manual loop over a workspace that reads Wᵀ (the network transposed before, back after),
    /// and the network returned is in the network's own layout. A narrower one is trained as the network holds it.
    /// </summary>
    [Fact]
    public void AWideDenseFirstLayerIsTrainedTransposedAndReturnedInTheNetworkLayout()
    {
        Assert.False(MlpTrainer.HoldsFirstLayerTransposed(sparse: false, MlpTrainer.TransposedFirstLayerOutputs - 1));
        Assert.True(MlpTrainer.HoldsFirstLayerTransposed(sparse: true, 1));
        int hidden = MlpTrainer.TransposedFirstLayerOutputs;
        TrainingData data = MlpTrainerTests.EasyBinary(23, 3);
        TrainingSettings settings = MlpTrainerTests.Settings() with
        {
            HiddenLayerSizes = [hidden],
            Solver = SolverKind.Sgd,
            Momentum = 0.5,
            BatchSize = 10,
            Shuffle = false,
            MaximumNumberOfEpochs = 1,
            LearningRate = 0.3,
        };
        Network initial = Network.CreateInitialized(2, [hidden], 1, ActivationKind.Relu, OutputKind.Sigmoid, seed: 8);

        TrainingResult result = MlpTrainer.Train(data, settings with { Activation = ActivationKind.Relu }, resume: new TrainingCheckpoint { Network = initial });

        Network manual = initial.Clone();
        float[] scratch = FirstLayerLayout.Scratch(manual);
        FirstLayerLayout.Transpose(manual.Parameters, manual, toTransposed: true, scratch);
        var workspace = new BackpropWorkspace(manual, 10, transposedFirstLayer: true);
        var sgd = new SgdOptimizer(manual.ParameterCount, 0.5, nesterov: true);
        var gradient = new float[manual.ParameterCount];
        foreach ((int start, int rows) in new[] { (0, 10), (10, 10), (20, 3) })
        {
            workspace.ComputeLossAndGradient(data.Features.AsSpan(start * 2, rows * 2), data.Targets.AsSpan(start, rows), rows, (float)settings.L2Regularization, gradient);
            sgd.Step(manual.Parameters, gradient, 0.3);
        }

        FirstLayerLayout.Transpose(manual.Parameters, manual, toTransposed: false, scratch);
        Assert.Equal(manual.Parameters, result.Network.Parameters);
    }

    /// <summary>
    /// Minibatch training hands Adam a raw gradient to finish as it steps: an epoch equals, bit for bit, the manual loop of a
    /// finished gradient (L2 term, weighted rows) and an Adam step, on 1 and 2 threads, for a network whose parameters
    /// (18,601) put weights and biases of four blocks into one of Adam's 16,384-float chunks.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AdamFinishesTheRawGradientAsTheSeparatePassesWould(int threads)
    {
        const int Rows = 23, Inputs = 60;
        float[] x = TestData.Uniform(new SeededRandom(21), Rows * Inputs);
        float[] y = [.. Enumerable.Range(0, Rows).Select(r => x[r * Inputs] > 0 ? 1f : 0f)];
        float[] weights = [.. Enumerable.Range(0, Rows).Select(r => 0.5f + (r % 3))];
        var data = new TrainingData(x, y, Rows, Inputs, 1, weights);
        TrainingSettings settings = MlpTrainerTests.Settings() with
        {
            HiddenLayerSizes = [300],
            Activation = ActivationKind.Relu,
            BatchSize = 10,
            Shuffle = false,
            MaximumNumberOfEpochs = 1,
            LearningRate = 0.01,
            L2Regularization = 0.05,
            NumberOfThreads = threads,
        };
        Network initial = Network.CreateInitialized(Inputs, [300], 1, ActivationKind.Relu, OutputKind.Sigmoid, seed: 9);
        Assert.Equal(18_601, initial.ParameterCount);

        TrainingResult result = MlpTrainer.Train(data, settings, resume: new TrainingCheckpoint { Network = initial });

        Network manual = initial.Clone();
        float[] scratch = FirstLayerLayout.Scratch(manual);
        FirstLayerLayout.Transpose(manual.Parameters, manual, toTransposed: true, scratch);
        var workspace = new BackpropWorkspace(manual, 10, threads, transposedFirstLayer: true);
        var adam = new AdamOptimizer(manual.ParameterCount, settings.Beta1, settings.Beta2, settings.Epsilon) { Threads = threads };
        var gradient = new float[manual.ParameterCount];
        foreach ((int start, int rows) in new[] { (0, 10), (10, 10), (20, 3) })
        {
            workspace.ComputeLossAndGradient(
                x.AsSpan(start * Inputs, rows * Inputs), y.AsSpan(start, rows), rows, (float)settings.L2Regularization, gradient, weights.AsSpan(start, rows));
            adam.Step(manual.Parameters, gradient, settings.LearningRate);
        }

        FirstLayerLayout.Transpose(manual.Parameters, manual, toTransposed: false, scratch);
        Assert.Equal(manual.Parameters, result.Network.Parameters);
    }

    /// <summary>A raw gradient is for dense batches: a sparse one, whose first layer finishes its own gradient, is refused by name.</summary>
    [Fact]
    public void ARawGradientOfASparseBatchIsRefused()
    {
        Network network = Network.CreateInitialized(4, [3], 1, ActivationKind.Relu, OutputKind.Sigmoid, seed: 1);
        var workspace = new BackpropWorkspace(network, 2);
        var error = Assert.Throws<ArgumentException>(() =>
            workspace.ComputeLossAndRawGradient(InputBatch.FromCsr([0, 1, 2], [0, 3], [1f, 2f], 4), [1f, 0f], 0f, new float[network.ParameterCount], default, out _));
        Assert.Contains("ComputeLossAndGradient", error.Message);
        Assert.Equal("x", error.ParamName);
    }
}
