using Backprop.MLNet.Engine;
using Backprop.MLNet.Training;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Tests.Training;

/// <summary>
/// A new training's network and buffers prepared while the rows are read (<see cref="TrainingPreparation"/>), and the
/// pages written ahead of their first use (<see cref="PagePopulation"/>).
/// </summary>
public class TrainingPreparationTests
{
    private const int Inputs = 300;

    /// <summary>Rows with about 6 % of <see cref="Inputs"/> inputs non-zero (<see cref="SparseTrainingTests"/>' rows).</summary>
    private static (SparseRows Sparse, float[] Dense, float[] Targets) Rows(int rows, int seed) => SparseTrainingTests.Rows(rows, Inputs, 0.06, seed);

    private static TrainingSettings Settings(SolverKind solver, int hidden, bool earlyStopping = false) => TestSettings.Default with
    {
        HiddenLayerSizes = [hidden, 5],
        Solver = solver,
        BatchSize = 40,
        MaximumNumberOfEpochs = 3,
        Tolerance = 0,
        LearningRate = 0.01,
        DropoutRate = solver == SolverKind.Lbfgs ? 0 : 0.1, // dropout draws from the generator the network was drawn from
        EarlyStopping = earlyStopping,
        NumberOfThreads = 2,
    };

    /// <summary>
    /// Training with the prepared network, gradient and optimizer gives the bits of a training that makes its own, for
    /// every solver, on sparse rows (first layer transposed, lazy updates) and dense ones (a first layer of 64+ outputs
    /// transposed, a narrow one not): the weights, every epoch's loss, and the optimizer's final state.
    /// </summary>
    [Theory]
    [InlineData((int)SolverKind.Adam, true, 70, false)]
    [InlineData((int)SolverKind.Sgd, true, 8, false)]
    [InlineData((int)SolverKind.Adam, false, 70, true)]
    [InlineData((int)SolverKind.Adam, true, 70, true)]
    [InlineData((int)SolverKind.Sgd, false, 8, true)]
    [InlineData((int)SolverKind.Sgd, false, 8, false)]
    [InlineData((int)SolverKind.Lbfgs, false, 8, false)]
    [InlineData((int)SolverKind.Lbfgs, true, 70, false)]
    public void PreparedTrainingGivesTheSameBits(int solverKind, bool sparse, int hidden, bool earlyStopping)
    {
        var solver = (SolverKind)solverKind;
        (SparseRows sparseRows, float[] dense, float[] targets) = Rows(240, seed: 5);
        // Each training its own rows: early stopping keeps its training rows in place, in the data's own arrays.
        TrainingData Data() => sparse
            ? new TrainingData(new SparseRows((int[])sparseRows.RowStarts.Clone(), (int[])sparseRows.Indices.Clone(), (float[])sparseRows.Values.Clone(), Inputs),
                (float[])targets.Clone(), 1)
            : new TrainingData((float[])dense.Clone(), (float[])targets.Clone(), 240, Inputs, 1);
        TrainingSettings settings = Settings(solver, hidden, earlyStopping);

        TrainingResult own = MlpTrainer.Train(Data(), settings);
        TrainingPreparation preparation = TrainingPreparation.Begin(settings, Inputs, sparse);
        PreparedTraining? prepared = preparation.Take(sparse);
        Assert.NotNull(prepared);
        Assert.Null(preparation.Failure);
        TrainingResult adopted = MlpTrainer.Train(Data(), settings, prepared: prepared);

        Assert.Same(prepared.Network, adopted.Network);
        Assert.Equal(own.Network.Parameters, adopted.Network.Parameters);
        Assert.Equal(own.History.Select(e => e.TrainingLoss), adopted.History.Select(e => e.TrainingLoss));
        Assert.Equal(own.Checkpoint.Optimizer?.Buffers, adopted.Checkpoint.Optimizer?.Buffers);
        Assert.Equal(own.Checkpoint.RandomState, adopted.Checkpoint.RandomState);
        Assert.True(adopted.History.Count >= 2, "trained more than one epoch"); // the comparison is not of an empty history
        // Early stopping kept its best epoch's parameters in the prepared buffer (the network's layout: equal when not transposed).
        Assert.Equal(earlyStopping && solver != SolverKind.Lbfgs, prepared.BestParameters is not null);
        if (prepared.BestParameters is { } best)
        {
            Assert.Equal(adopted.Network.ParameterCount, best.Length);
            Assert.Equal(hidden < 64 && !sparse, best.AsSpan().SequenceEqual(adopted.Network.Parameters));
        }
    }

    /// <summary>
    /// The preparation draws the first layer in the layout rows that come sparse or dense are trained in; when the rows come
    /// the other way and the layout differs (a narrow first layer), it is not handed over.
    /// </summary>
    [Theory]
    [InlineData(8, true, false, false)]
    [InlineData(8, false, true, false)]
    [InlineData(8, true, true, true)]
    [InlineData(70, true, false, true)] // 64+ outputs: transposed for dense rows too
    public void HandsOverOnlyInTheLayoutTheRowsNeed(int hidden, bool preparedSparse, bool rowsSparse, bool handedOver)
    {
        TrainingPreparation preparation = TrainingPreparation.Begin(Settings(SolverKind.Adam, hidden), Inputs, preparedSparse);
        Assert.Equal(handedOver, preparation.Take(rowsSparse) is not null);
        Assert.Null(preparation.Take(rowsSparse)); // only once
    }

    /// <summary>
    /// Started for a network of 8 MiB or more when there is a second core, also for a training limited to one thread (the
    /// preparation runs before that thread trains); not for a smaller network. What it prepares is handed over.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void StartsForALargeNetworkWhateverTheThreadLimit(int threads)
    {
        TrainingSettings settings = Settings(SolverKind.Adam, 70) with { NumberOfThreads = threads };
        using (TrainingPreparation? small = TrainingPreparation.Start(settings, Inputs, sparse: true))
        {
            Assert.Null(small);
        }

        int wide = (int)(LargeArrays.MinimumBytes / sizeof(float) / 70) + 1; // the first layer alone takes 8 MiB
        using TrainingPreparation? large = TrainingPreparation.Start(settings, wide, sparse: true);
        Assert.Equal(Environment.ProcessorCount >= 2, large is not null);
        if (large is not null)
        {
            PreparedTraining? prepared = large.Take(sparse: true);
            Assert.NotNull(prepared);
            Assert.Equal(wide, prepared.Network.InputSize);
        }
    }

    /// <summary>A network prepared for other settings, or offered to a warm start, is refused with an exception naming it.</summary>
    [Fact]
    public void RefusesANetworkPreparedForAnotherTraining()
    {
        (SparseRows rows, _, float[] targets) = Rows(80, seed: 6);
        TrainingSettings settings = Settings(SolverKind.Adam, 8);
        PreparedTraining prepared = TrainingPreparation.Begin(settings, Inputs, sparse: true).Take(true)!;

        var data = new TrainingData(rows, targets, 1);
        ArgumentException otherSeed = Assert.Throws<ArgumentException>(() => MlpTrainer.Train(data, settings with { Seed = 9 }, prepared: prepared));
        Assert.Equal("prepared", otherSeed.ParamName);

        TrainingResult first = MlpTrainer.Train(data, settings with { MaximumNumberOfEpochs = 1 });
        PreparedTraining again = TrainingPreparation.Begin(settings, Inputs, sparse: true).Take(true)!;
        Assert.Throws<ArgumentException>(() => MlpTrainer.Train(data, settings, resume: first.Checkpoint, prepared: again));
    }

    /// <summary>
    /// Every chunk of the large arrays is touched exactly once by threads taking them in turn, small and absent arrays are
    /// skipped, and no value is changed while another thread writes the array. (A plain read-and-write-back could put back
    /// a value the other thread had just replaced; the touch is an atomic compare-and-exchange of an element with itself,
    /// which cannot, by construction: the window is a few nanoseconds a page, too rare for a test to hit reliably.)
    /// </summary>
    [Fact]
    public void TouchesEveryChunkOnceAndChangesNoValue()
    {
        float[] large = new float[(3 * PagePopulation.ChunkElements) + 5];
        float[] small = new float[1000];
        for (int i = 0; i < large.Length; i++)
        {
            large[i] = i;
        }

        var population = new PagePopulation(large, small, null);
        Assert.Equal(4, population.Chunks);
        using var go = new Barrier(3);
        var writer = new Thread(() =>
        {
            go.SignalAndWait();
            for (int i = 0; i < large.Length; i++)
            {
                large[i] = -i;
            }
        });
        var helper = new Thread(() =>
        {
            go.SignalAndWait();
            population.Run();
        });
        writer.Start();
        helper.Start();
        go.SignalAndWait();
        population.Run();
        writer.Join();
        helper.Join();

        Assert.Equal(4, population.Done);
        Assert.False(population.RunOne());
        int wrong = Enumerable.Range(0, large.Length).Count(i => large[i] != -i);
        Assert.Equal(0, wrong);
        Assert.All(small, v => Assert.Equal(0f, v));
    }

    /// <summary>A population asked to stop takes no further chunk.</summary>
    [Fact]
    public void StopsWhenAsked()
    {
        var population = new PagePopulation(new float[2 * PagePopulation.ChunkElements]);
        int asked = 0;
        population.Run(() => ++asked > 1);
        Assert.Equal(1, population.Done);
        Assert.Equal(2, population.Chunks);
    }
}
