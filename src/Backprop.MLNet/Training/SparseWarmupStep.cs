using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Sparse;
using Backprop.MLNet.Training.Solvers;

namespace Backprop.MLNet.Training;

/// <summary>
/// One minibatch of sparse rows through the sparse first layer, the way <see cref="StochasticSolver"/> trains them (its
/// gradient, the lazy or full optimizer step, a loss-only pass), on a small network of the training's kind: the step
/// <see cref="TrainingWarmup"/> repeats at its pace when the rows may come sparse.
/// </summary>
/// <remarks>
/// The runtime promotes a method to optimised code only after it has been called 30 times, twice over, once no new method
/// has been compiled for 100 ms; the warm-up's one small training on sparse rows calls the sparse path twice, so its
/// routines ran unoptimised into the first epoch (probe on the text workload: the rehearsal finished 100–200 ms before
/// training began, yet the first epoch took 1.12–1.74× a later one). Calling them at the warm-up's pace gets them promoted.
/// Everything here is the warm-up's own; it runs on the warm-up's thread, outside the kernel pool.
/// </remarks>
internal sealed class SparseWarmupStep
{
    /// <summary>Non-zero inputs per row.</summary>
    private const int PerRow = 8;

    private readonly Network _network;
    private readonly SparseFirstLayer _layer;
    private readonly BackpropWorkspace _workspace;
    private readonly IOptimizer? _optimizer;
    private readonly int[] _rowStarts;
    private readonly int[] _indices;
    private readonly float[] _values;
    private readonly float[] _targets;
    private readonly float[] _weights;
    private readonly float[] _gradient;
    private readonly int _width;

    /// <summary>Builds the network (first layer transposed, as sparse training holds it), its sparse layer and one batch.</summary>
    /// <param name="settings">The training's settings.</param>
    /// <param name="width">Inputs (the warm-up's sparse width).</param>
    /// <param name="hidden">The hidden layers' widths (the warm-up's, at most its limit).</param>
    /// <param name="rows">Rows of the batch.</param>
    public SparseWarmupStep(TrainingSettings settings, int width, int[] hidden, int rows)
    {
        _width = width;
        _network = new Network(width, hidden, settings.OutputSize, settings.Activation, settings.OutputKind);
        GlorotInitializer.Initialize(_network, new SeededRandom(1), transposedFirstLayer: true);
        // With a standardisation's shift (zeros: the values stay), as the trainer standardises by default.
        _layer = new SparseFirstLayer(_network, new float[width], lazy: settings.LazySparseUpdates && settings.Solver != SolverKind.Lbfgs);
        _workspace = new BackpropWorkspace(_network, rows, sparse: _layer, transposedFirstLayer: true);
        _optimizer = settings.Solver == SolverKind.Lbfgs ? null : StochasticSolver.CreateOptimizer(settings with { NumberOfThreads = 1 }, _network.ParameterCount);
        (_rowStarts, _indices, _values) = Rows(rows, width);
        _targets = new float[rows * _network.TargetWidth]; // zero: a valid target of every output kind
        _weights = [.. Enumerable.Repeat(1f, rows)];
        _gradient = new float[_network.ParameterCount];
    }

    /// <summary>
    /// The warm-up's sparse rows in CSR form: eight increasing, distinct inputs a row (all of them when there are fewer),
    /// moving from row to row, with small values of both signs.
    /// </summary>
    /// <param name="rows">Rows.</param>
    /// <param name="width">Inputs.</param>
    public static (int[] RowStarts, int[] Indices, float[] Values) Rows(int rows, int width)
    {
        int perRow = Math.Min(PerRow, width), step = width / perRow;
        int[] rowStarts = [.. Enumerable.Range(0, rows + 1).Select(r => r * perRow)];
        int[] indices = [.. Enumerable.Range(0, rows).SelectMany(r => Enumerable.Range(0, perRow).Select(k => (k * step) + (r % step)))];
        float[] values = [.. Enumerable.Range(0, indices.Length).Select(i => (float)((i % 5) - 2))];
        return (rowStarts, indices, values);
    }

    /// <summary>Steps run so far.</summary>
    public int Steps { get; private set; }

    /// <summary>One minibatch: the gradient (weighted rows or not), the optimizer's step, a loss-only pass.</summary>
    /// <param name="weighted">Whether the rows carry weights.</param>
    public void Run(bool weighted)
    {
        InputBatch batch = InputBatch.FromCsr(_rowStarts, _indices, _values, _width);
        _workspace.ComputeLossAndGradient(batch, _targets, 1e-4f, _gradient, weighted ? _weights : default);
        if (_optimizer is not null && _layer.Lazy)
        {
            _optimizer.Step(_network.Parameters, _gradient, 1e-3, new ParameterSubset(_layer.Touched, _network.LayerOutputs(0), _network.BiasOffset(0)));
        }
        else
        {
            _optimizer?.Step(_network.Parameters, _gradient, 1e-3);
        }

        _workspace.ComputeLoss(batch, _targets, 1e-4f);
        Steps++;
    }
}
