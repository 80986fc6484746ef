using Backprop.MLNet.Engine.Sparse;
using Backprop.MLNet.Training.Data;

namespace Backprop.MLNet.Training.Solvers;

/// <summary>
/// A way to train a prepared network: <see cref="StochasticSolver"/> (SGD or Adam, one <see cref="Engine.Optimizers.IOptimizer"/> step
/// per minibatch) or <see cref="LbfgsSolver"/> (full-batch L-BFGS, which evaluates the loss itself).
/// <see cref="MlpTrainer.Train"/> prepares the run (network, generator, validation split) and picks the solver.
/// </summary>
internal interface ISolver
{
    /// <summary>Trains <see cref="TrainingRun.Network"/> in place and reports every epoch.</summary>
    /// <param name="run">The prepared training.</param>
    /// <returns>The trained network, its history, why it stopped and a checkpoint.</returns>
    TrainingResult Train(TrainingRun run);
}

/// <summary>A prepared training: what every <see cref="ISolver"/> needs.</summary>
/// <param name="Data">The training rows.</param>
/// <param name="Settings">The validated settings.</param>
/// <param name="Network">The network to train (initialised, or continued from a checkpoint).</param>
/// <param name="Random">The generator for shuffling and dropout, in its initialised or restored state.</param>
/// <param name="Resume">The checkpoint being continued, or null.</param>
/// <param name="OnEpoch">Called with every epoch's report.</param>
/// <param name="CheckAlive">Called before every minibatch or loss evaluation; may throw to cancel.</param>
/// <param name="Validation">Validation rows, or null.</param>
/// <param name="Start">The Stopwatch timestamp training started at.</param>
/// <param name="SparseLayer">For sparse rows, the first layer (its weights and their optimizer state then transposed); else null.</param>
/// <param name="FirstLayerTransposed">Whether the network's first weight block and its optimizer state are held transposed (<see cref="MlpTrainer.HoldsFirstLayerTransposed"/>).</param>
/// <param name="Gradient">A parameter-sized buffer for the gradient (of a minibatch, or of an L-BFGS chunk).</param>
/// <param name="Optimizer">A new optimizer made for these settings (<see cref="TrainingPreparation"/>), or null for the solver to make its own.</param>
/// <param name="BestParameters">
/// With early stopping, a parameter-sized buffer whose pages are mapped already (<see cref="TrainingPreparation"/>) for the
/// best epoch's parameters, or null for the solver to allocate its own (a text model's 40 MB of first writes: ~90 ms).
/// </param>
internal sealed record TrainingRun(
    ITrainingRows Data,
    TrainingSettings Settings,
    Engine.Network Network,
    Engine.SeededRandom Random,
    TrainingCheckpoint? Resume,
    Action<EpochRecord>? OnEpoch,
    Action? CheckAlive,
    ITrainingRows? Validation,
    long Start,
    SparseFirstLayer? SparseLayer,
    bool FirstLayerTransposed,
    float[] Gradient,
    Engine.Optimizers.IOptimizer? Optimizer = null,
    float[]? BestParameters = null);
