using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Training.Solvers;

namespace Backprop.MLNet.Training;

/// <summary>
/// Prepares a new training's network-sized memory on a background thread while the trainer reads its data: draws the
/// network from the seed exactly as <see cref="MlpTrainer.Train"/> would, allocates the gradient, the optimizer and, with
/// early stopping, the best epoch's parameter buffer, and has the kernel map all their pages (<see cref="PagePopulation"/>),
/// so that neither the drawing nor the first writes to those arrays fall in the first epoch.
/// </summary>
/// <remarks>
/// <para>Only worth it for a large network (a parameter array of at least <see cref="LargeArrays.MinimumBytes"/>, such as a
/// text model's first layer of 100,000 inputs × 100 outputs, 40 MB) and with a second core. Measured on the text workload
/// (benchmarks/README.md): the first epoch spent ~0.3 s of its ~0.47 s writing the gradient's and Adam's 120 MB for the first
/// time and drawing the network, against 0.16 s for a later epoch.</para>
/// <para>The trainer takes the result (<see cref="Take"/>) before training starts, helping with the pages left if the
/// reading ended first. The network is the one <see cref="MlpTrainer"/> would draw, in the layout it trains in, and the
/// generator's state after the drawing comes with it, so the training's every bit is the same with or without this.</para>
/// </remarks>
internal sealed class TrainingPreparation : IDisposable
{
    private readonly TrainingSettings _settings;
    private readonly int _inputSize;
    private readonly bool _transposed;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _allocated = new();
    private volatile PagePopulation? _networkPages;
    private volatile PagePopulation? _bufferPages;
    private volatile bool _stop;
    private PreparedTraining? _result;

    private TrainingPreparation(TrainingSettings settings, int inputSize, bool sparse)
    {
        _settings = settings;
        _inputSize = inputSize;
        _transposed = MlpTrainer.HoldsFirstLayerTransposed(sparse, settings.FirstLayerOutputs);
        _thread = new Thread(Run) { IsBackground = true, Name = "Backprop.MLNet preparation" };
        _thread.Start();
    }

    /// <summary>What stopped the preparation, if anything did (for tests; the training then prepares its own).</summary>
    internal Exception? Failure { get; private set; }

    /// <summary>
    /// Starts preparing a new training of <paramref name="settings"/> on <paramref name="inputSize"/> features, unless the
    /// network is small or there is no second core. A training limited to one thread is prepared too: the preparation does
    /// work its first epoch would otherwise do on that thread (drawing the network, the first writes to its memory), on the
    /// core the reading pass leaves idle, before training starts.
    /// </summary>
    /// <param name="settings">The training's settings (the same object is to be given to <see cref="MlpTrainer.Train"/>).</param>
    /// <param name="inputSize">Features per row.</param>
    /// <param name="sparse">Whether the rows will probably come sparse (the layout the first layer is drawn in).</param>
    /// <returns>The running preparation; null when none was started.</returns>
    public static TrainingPreparation? Start(TrainingSettings settings, int inputSize, bool sparse)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (Environment.ProcessorCount < 2)
        {
            return null;
        }

        Int128 parameters = TrainingMemory.Parameters([inputSize, .. settings.HiddenLayerSizes, settings.OutputSize]);
        return parameters * sizeof(float) < LargeArrays.MinimumBytes ? null : Begin(settings, inputSize, sparse);
    }

    /// <summary>Starts a preparation whatever the network's size (for tests; <see cref="Start"/> decides whether one is worth it).</summary>
    internal static TrainingPreparation Begin(TrainingSettings settings, int inputSize, bool sparse) => new(settings, inputSize, sparse);

    /// <summary>
    /// Waits for the preparation, helping to map the pages that are left, and hands it over when it suits rows that came
    /// <paramref name="sparse"/> or not (the first layer's layout depends on it); null when it does not or it failed. Only once.
    /// </summary>
    /// <param name="sparse">Whether the training's rows are sparse.</param>
    /// <returns>The prepared network and buffers, or null.</returns>
    public PreparedTraining? Take(bool sparse)
    {
        _allocated.Wait();
        _networkPages?.Run();
        _bufferPages?.Run();
        _thread.Join();
        PreparedTraining? result = _result;
        _result = null;
        return result is not null && MlpTrainer.HoldsFirstLayerTransposed(sparse, _settings.FirstLayerOutputs) == _transposed ? result : null;
    }

    /// <summary>Asks the preparation to stop after its current chunk of pages, when training will not take it; does not wait.</summary>
    public void Dispose() => _stop = true;

    private void Run()
    {
        try
        {
            var network = new Network(_inputSize, _settings.HiddenLayerSizes, _settings.OutputSize, _settings.Activation, _settings.OutputKind);
            float[] gradient = LargeArrays.Allocate<float>(network.ParameterCount);
            IOptimizer? optimizer = _settings.Solver == SolverKind.Lbfgs ? null : StochasticSolver.CreateOptimizer(_settings, network.ParameterCount);
            float[]? best = optimizer is not null && _settings.EarlyStopping ? LargeArrays.Allocate<float>(network.ParameterCount) : null;
            _networkPages = new PagePopulation(network.Parameters);
            _bufferPages = new PagePopulation([gradient, .. optimizer?.GetState().Buffers ?? [], .. best is null ? [] : new[] { best }]);
            _allocated.Set();

            // The network's pages first, then its draws (the largest writes); the buffers' pages after, unless the trainer,
            // done reading, has taken them meanwhile.
            Func<bool> stopped = () => _stop;
            _networkPages.Run(stopped);
            if (_stop)
            {
                return;
            }

            var random = new SeededRandom(_settings.Seed);
            GlorotInitializer.Initialize(network, random, _transposed);
            _bufferPages.Run(stopped);
            _result = new PreparedTraining(_settings, network, random.GetState(), _transposed, gradient, optimizer, best);
        }
        catch (Exception e)
        {
            // Nothing depends on the preparation; a failure here (e.g. out of memory) leaves the training to prepare its own.
            Failure = e;
        }
        finally
        {
            _allocated.Set();
        }
    }
}

/// <summary>A new training's network and buffers, prepared by <see cref="TrainingPreparation"/>.</summary>
/// <param name="Settings">The settings they were prepared for.</param>
/// <param name="Network">The network, drawn from <see cref="TrainingSettings.Seed"/> as <see cref="MlpTrainer.Train"/> draws it.</param>
/// <param name="RandomState">The generator's state after the drawing.</param>
/// <param name="TransposedFirstLayer">Whether the first layer was drawn transposed (<see cref="MlpTrainer.HoldsFirstLayerTransposed"/>).</param>
/// <param name="Gradient">A zeroed parameter-sized buffer for the gradient.</param>
/// <param name="Optimizer">The minibatch solver's new optimizer; null for L-BFGS.</param>
/// <param name="BestParameters">With early stopping (minibatch solvers), a parameter-sized buffer for the best epoch's parameters; else null.</param>
internal sealed record PreparedTraining(
    TrainingSettings Settings,
    Network Network,
    ulong[] RandomState,
    bool TransposedFirstLayer,
    float[] Gradient,
    IOptimizer? Optimizer,
    float[]? BestParameters = null);
