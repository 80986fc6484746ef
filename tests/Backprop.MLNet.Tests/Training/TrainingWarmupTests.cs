using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Tests.Engine;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training;

/// <summary>The warm-up that compiles the training path while the rows are read (<see cref="TrainingWarmup"/>).</summary>
public class TrainingWarmupTests
{
    private static readonly (ActivationKind Activation, OutputKind Output, int Outputs, SolverKind Solver)[] Kinds =
    [
        (ActivationKind.Relu, OutputKind.Softmax, 10, SolverKind.Adam),
        (ActivationKind.Tanh, OutputKind.Sigmoid, 1, SolverKind.Sgd),
        (ActivationKind.Sigmoid, OutputKind.Sigmoid, 3, SolverKind.Adam),
        (ActivationKind.Identity, OutputKind.Identity, 2, SolverKind.Lbfgs),
    ];

    private static TrainingSettings Settings(ActivationKind activation, OutputKind output, int outputs, SolverKind solver) => TestSettings.Default with
    {
        HiddenLayerSizes = [300, 20],
        Activation = activation,
        OutputKind = output,
        OutputSize = outputs,
        Solver = solver,
        BatchSize = 200,
        NumberOfThreads = 2,
    };

    /// <summary>
    /// Every kind of network runs all its steps without failing (the warm-up swallows its failures, so a wrong target or a
    /// buffer too small would otherwise go unseen), on inputs wider and batches larger than it uses.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RunsEveryStep(int kind)
    {
        (ActivationKind activation, OutputKind output, int outputs, SolverKind solver) = Kinds[kind];
        TrainingWarmup warmup = TrainingWarmup.Begin(Settings(activation, output, outputs, solver), inputSize: 1000, pacedSteps: 0);
        warmup.Join();
        Assert.Null(warmup.Failure);
        Assert.Equal(TrainingWarmup.Steps, warmup.CompletedSteps);
        // One minibatch (L-BFGS: chunk) at the training's own sizes, so that the kernels' shapes are chosen before training,
        // and one small training through the solver itself, L-BFGS included.
        Assert.True(warmup.TunedRealShapes);
        Assert.True(warmup.RehearsedSolver);
    }

    /// <summary>
    /// When the rows may come sparse, the solver is rehearsed on sparse rows too (wide inputs and narrow ones, fewer than the
    /// eight non-zeros a row it uses) and the sparse path is stepped beside every dense step, for every solver; never when
    /// they are dense.
    /// </summary>
    [Theory]
    [InlineData(0, 100_000)]
    [InlineData(1, 5)]
    [InlineData(2, 3_000)]
    [InlineData(3, 100_000)]
    public void RehearsesSparseRowsWhenTheyMayCome(int kind, int inputSize)
    {
        (ActivationKind activation, OutputKind output, int outputs, SolverKind solver) = Kinds[kind];
        TrainingSettings settings = Settings(activation, output, outputs, solver) with { HiddenLayerSizes = [100] };
        TrainingWarmup sparse = TrainingWarmup.Begin(settings, inputSize, sparse: true, pacedSteps: 0);
        sparse.Join();
        Assert.Null(sparse.Failure);
        Assert.True(sparse.RehearsedSparse);
        Assert.Equal(TrainingWarmup.Steps, sparse.SparseSteps); // and a step of the sparse path beside every dense one
        TrainingWarmup dense = TrainingWarmup.Begin(settings, inputSize, sparse: false, pacedSteps: 0);
        dense.Join();
        Assert.False(dense.RehearsedSparse);
        Assert.Equal(0, dense.SparseSteps);
    }

    /// <summary>The sparse path's steps run with full (not lazy) sparse updates too, and on with the paced steps.</summary>
    [Fact]
    public void StepsTheSparsePathWithFullUpdatesAndAtItsPace()
    {
        TrainingSettings settings = Settings(ActivationKind.Relu, OutputKind.Softmax, 10, SolverKind.Adam) with
        {
            HiddenLayerSizes = [100],
            LazySparseUpdates = false,
        };
        TrainingWarmup warmup = TrainingWarmup.Begin(settings, 50_000, sparse: true, pacedSteps: 5);
        warmup.Join();
        Assert.Null(warmup.Failure);
        Assert.Equal(TrainingWarmup.Steps + 5, warmup.SparseSteps);
    }

    /// <summary>A network too large to copy for tuning (a text model's wide first layer) is warmed up small only.</summary>
    [Fact]
    public void DoesNotCopyALargeNetwork()
    {
        TrainingSettings settings = Settings(ActivationKind.Relu, OutputKind.Sigmoid, 1, SolverKind.Adam) with { HiddenLayerSizes = [100] };
        TrainingWarmup warmup = TrainingWarmup.Begin(settings, inputSize: 100_000, pacedSteps: 0);
        warmup.Join();
        Assert.Null(warmup.Failure);
        Assert.Equal(TrainingWarmup.Steps, warmup.CompletedSteps);
        Assert.False(warmup.TunedRealShapes);
    }

    /// <summary>Stopped before its first step, it runs none; let run, it runs them all.</summary>
    [Fact]
    public void StopsWhenDisposed()
    {
        TrainingSettings settings = Settings(ActivationKind.Relu, OutputKind.Softmax, 10, SolverKind.Adam);
        using var hold = new ManualResetEvent(false);
        TrainingWarmup stopped = TrainingWarmup.Begin(settings, inputSize: 50, hold: hold, pacedSteps: 3);
        TrainingWarmup running = TrainingWarmup.Begin(settings, inputSize: 50, hold: hold, pacedSteps: 3);
        stopped.Dispose();
        hold.Set();
        stopped.Join();
        running.Join();
        Assert.Null(stopped.Failure);
        Assert.Equal(0, stopped.CompletedSteps);
        Assert.Equal(TrainingWarmup.Steps + 3, running.CompletedSteps);
    }

    /// <summary>
    /// One per kind of network per process, with a second core, also for a training limited to one thread (the warm-up runs
    /// before that thread trains); none on one core.
    /// </summary>
    [Fact]
    public void StartsOncePerKindWhateverTheThreadLimit()
    {
        // A kind no other test trains, so that this test alone decides whether it was warmed before.
        TrainingSettings settings = Settings(ActivationKind.LeakyRelu, OutputKind.Identity, 1, SolverKind.Sgd);
        if (Environment.ProcessorCount < 2)
        {
            Assert.Null(TrainingWarmup.Start(settings with { NumberOfThreads = 1 }, 10));
            return;
        }

        using TrainingWarmup? first = TrainingWarmup.Start(settings with { NumberOfThreads = 1 }, 10);
        Assert.NotNull(first);
        Assert.Null(TrainingWarmup.Start(settings, 10));
        Assert.Null(TrainingWarmup.Start(settings with { NumberOfThreads = 1 }, 10));
        first.Join();
    }

    /// <summary>Training while a warm-up of the same kind runs gives the weights it gives alone: nothing is shared.</summary>
    [Fact]
    public void DoesNotChangeTheTraining()
    {
        float[] x = TestData.Uniform(new SeededRandom(1), 400 * 30);
        var y = new float[400];
        for (int r = 0; r < y.Length; r++)
        {
            y[r] = r % 3;
        }

        TrainingSettings settings = Settings(ActivationKind.Relu, OutputKind.Softmax, 3, SolverKind.Adam) with { MaximumNumberOfEpochs = 5, BatchSize = 32 };
        float[] alone = MlpTrainer.Train(new TrainingData((float[])x.Clone(), (float[])y.Clone(), 400, 30, 1), settings).Network.Parameters;
        TrainingWarmup warmup = TrainingWarmup.Begin(settings, 30, pacedSteps: 10);
        float[] beside = MlpTrainer.Train(new TrainingData((float[])x.Clone(), (float[])y.Clone(), 400, 30, 1), settings).Network.Parameters;
        warmup.Join();
        Assert.Equal(alone, beside);
    }
}
