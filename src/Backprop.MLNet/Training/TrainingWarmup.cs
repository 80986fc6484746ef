using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Training.Data;
using Backprop.MLNet.Training.Solvers;

namespace Backprop.MLNet.Training;

/// <summary>
/// Runs the training path a few dozen times on a small network of the same kind, on a background thread, while the
/// trainer reads its data, so that the first epoch does not pay for the just-in-time compiler.
/// </summary>
/// <remarks>
/// Measured on FMNIST-MLP (2 cores): without it the first epoch took about 1.9× a later one. The extra time is the runtime
/// compiling code on first use: the engine's own methods, and above all the generic vector routines of
/// System.Numerics.Tensors (softmax, ReLU, the L2 term), which start as unoptimised code (tier 0, where every vector
/// operation is a call) and are only replaced by optimised code after 30 calls and a pause, on a background thread that
/// competes with training for the cores. Calling them here, on the core the reading pass leaves idle, leaves optimised code
/// in place when training begins. The network, its buffers and the optimizer are the warm-up's own (nothing is shared with
/// the training, whose results are the same bits with or without it) and it runs on one thread, outside the kernel pool.
/// After its first steps it also runs one minibatch at the training's own sizes and thread count, so that the kernels
/// choose their shapes for those sizes (<see cref="Engine.Kernels.KernelTuner"/>) here and not in the first epoch, and one
/// small training through the trainer and solver themselves (<see cref="RehearseSolver"/>).
/// It stops at the first step after <see cref="Dispose"/>, never delaying the training, and runs once per process for each
/// kind of network (activation, output, solver).
/// </remarks>
internal sealed class TrainingWarmup : IDisposable
{
    /// <summary>Training steps run at once: enough for every routine on the path to be called more than the runtime's 30 calls.</summary>
    internal const int Steps = 40;

    /// <summary>
    /// Steps run after those, one every <see cref="PacedStepMilliseconds"/>, while the warm-up is not stopped. The runtime
    /// only starts counting calls once no new method has been compiled for 100 ms, and promotes a routine in two stages (an
    /// instrumented one, then the optimised one), each after 30 counted calls; these steps keep calling the routines until
    /// both stages are done. At one step a millisecond (a tenth of a core or so) the 60 counted calls take 60 ms; at one
    /// every 5 ms they took 300 ms, more than was left of FMNIST's reading pass once its pages came 2 MiB at a time, and
    /// the first epoch paid for the rest (benchmarks/README.md, "Huge pages for the data").
    /// </summary>
    internal const int PacedSteps = 2000;

    private const int PacedStepMilliseconds = 1;

    /// <summary>The largest network (and minibatch) the warm-up runs at the training's own sizes: 4M floats, 16 MB.</summary>
    private const long MaximumTunedParameters = 1L << 22;

    /// <summary>Largest input width and batch of the warm-up network: the code run is the same as for larger ones.</summary>
    private const int MaximumWidth = 256;

    private const int MaximumRows = 32;

    /// <summary>Inputs from which rows stored automatically are rehearsed sparse too (one-hot and text features are this wide).</summary>
    public const int WideInputs = 1024;

    /// <summary>Largest input width of the sparse rehearsal: 4,096 inputs, the code run is the same as for 100,000.</summary>
    private const int MaximumSparseWidth = 4096;

    private static readonly HashSet<(ActivationKind, OutputKind, SolverKind, bool)> s_started = [];

    private readonly Thread _thread;
    private volatile bool _stop;
    private SparseWarmupStep? _sparseStep;

    private TrainingWarmup(TrainingSettings settings, int inputSize, bool sparse, WaitHandle? hold, int pacedSteps)
    {
        _thread = new Thread(() => Run(settings, inputSize, sparse, hold, pacedSteps)) { IsBackground = true, Name = "Backprop.MLNet warm-up" };
        _thread.Start();
    }

    /// <summary>Steps the warm-up has completed (for tests).</summary>
    internal int CompletedSteps { get; private set; }

    /// <summary>Steps of the sparse path run beside the dense ones when the rows may come sparse (for tests; see <see cref="SparseWarmupStep"/>).</summary>
    internal int SparseSteps => _sparseStep?.Steps ?? 0;

    /// <summary>What stopped the warm-up early, if anything did (for tests; the training never sees it).</summary>
    internal Exception? Failure { get; private set; }

    /// <summary>
    /// Starts the warm-up for training <paramref name="settings"/> on <paramref name="inputSize"/> features, unless this kind of
    /// network was warmed up before in this process or the machine has one core. A training limited to one thread is warmed
    /// up too: the warm-up runs while the rows are read, before that thread trains, and without it the first epoch ran
    /// unoptimised code for a third of its time (FMNIST-MLP, first epoch 1.28–1.36× a later one; 1.00–1.04 with it).
    /// </summary>
    /// <param name="settings">The training's settings.</param>
    /// <param name="inputSize">Features per row.</param>
    /// <param name="sparse">Whether the rows may come sparse (the solver's rehearsal then trains on sparse rows too).</param>
    /// <returns>The running warm-up, to be disposed of when training starts; null when none was started.</returns>
    public static TrainingWarmup? Start(TrainingSettings settings, int inputSize, bool sparse = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (Environment.ProcessorCount < 2)
        {
            return null;
        }

        lock (s_started)
        {
            if (!s_started.Add((settings.Activation, settings.OutputKind, settings.Solver, sparse)))
            {
                return null;
            }
        }

        return Begin(settings, inputSize, sparse);
    }

    /// <summary>Starts a warm-up whatever ran before (for tests; <see cref="Start"/> decides whether one is worth it).</summary>
    /// <param name="settings">The training's settings.</param>
    /// <param name="inputSize">Features per row.</param>
    /// <param name="sparse">Whether the solver's rehearsal also trains on sparse rows.</param>
    /// <param name="hold">When given, the warm-up waits for it before its first step (for tests).</param>
    /// <param name="pacedSteps">Steps after the first <see cref="Steps"/>, one every few milliseconds.</param>
    internal static TrainingWarmup Begin(TrainingSettings settings, int inputSize, bool sparse = false, WaitHandle? hold = null, int pacedSteps = PacedSteps) =>
        new(settings, inputSize, sparse, hold, pacedSteps);

    /// <summary>Asks the warm-up to stop after its current step; does not wait for it.</summary>
    public void Dispose() => _stop = true;

    /// <summary>Whether the warm-up ran one minibatch of the training's own sizes (see <see cref="TuneRealShapes"/>; for tests).</summary>
    internal bool TunedRealShapes { get; private set; }

    /// <summary>
    /// Runs one minibatch through a network of the training's own layer sizes, batch size (L-BFGS: its chunk of
    /// <see cref="LbfgsSolver.ChunkRows"/> rows) and thread count, so that the kernels' shapes for those sizes are chosen
    /// (<see cref="Engine.Kernels.KernelTuner"/>, a few tens of milliseconds) here rather than in the first epoch. Only for a
    /// network and a batch of at most <see cref="MaximumTunedParameters"/> values each (a wider one, such as a text model's
    /// first layer, keeps its tuning in the first epoch rather than double its memory here).
    /// </summary>
    /// <returns>Whether it ran.</returns>
    private static bool TuneRealShapes(TrainingSettings settings, int inputSize)
    {
        int rows = settings.Solver == SolverKind.Lbfgs ? LbfgsSolver.ChunkRows : settings.BatchSize;
        int[] sizes = [inputSize, .. settings.HiddenLayerSizes, settings.OutputSize];
        long widest = sizes[..^1].Max();
        if (TrainingMemory.Parameters(sizes) > MaximumTunedParameters || widest * rows > MaximumTunedParameters)
        {
            return false;
        }

        var network = new Network(inputSize, settings.HiddenLayerSizes, settings.OutputSize, settings.Activation, settings.OutputKind);
        var workspace = new BackpropWorkspace(network, rows, settings.NumberOfThreads,
            transposedFirstLayer: MlpTrainer.HoldsFirstLayerTransposed(false, network.LayerOutputs(0)));
        var inputs = new float[rows * inputSize];
        var targets = new float[rows * network.TargetWidth];
        workspace.ComputeLossAndGradient(InputBatch.FromDense(inputs, rows, inputSize), targets, 1e-4f, new float[network.ParameterCount]);
        return true;
    }

    /// <summary>Whether the warm-up ran the solver once through a small training (see <see cref="RehearseSolver"/>; for tests).</summary>
    internal bool RehearsedSolver { get; private set; }

    /// <summary>Whether it also ran one on sparse rows (asked for when the rows may come sparse; for tests).</summary>
    internal bool RehearsedSparse { get; private set; }

    /// <summary>
    /// Trains a small network of the training's kind for one epoch of two minibatches of its batch size, through the
    /// trainer and the solver themselves and on the training's thread count, so that what only a whole training runs is
    /// compiled here rather than at the start of the first epoch: the solver's loop, the minibatch source and its gather,
    /// the optimizer's step over the kernel pool, the epoch's end, the inputs' standardisation (measured on FMNIST: 22 ms
    /// of compilation on the training thread as the first epoch began, 5 ms with this). L-BFGS runs three iterations instead
    /// (its chunked objective, the line search, the two-loop recursion once it has a history; on FMNIST its evaluation at the
    /// start took 495 ms against 380 for later ones without this). Stops at the next minibatch (L-BFGS: chunk) once the
    /// warm-up is stopped, so that it never holds the kernel pool while training waits for it.
    /// </summary>
    /// <param name="settings">The training's settings.</param>
    /// <param name="width">The warm-up network's input width.</param>
    /// <param name="sparse">
    /// Whether to train on sparse rows (eight non-zeros each): the sparse first layer, its lazy updates and its kernels are
    /// code of their own (measured on the text workload: a first epoch of 4.3× the median without it).
    /// </param>
    /// <returns>Whether it ran to the end.</returns>
    private bool RehearseSolver(TrainingSettings settings, int width, bool sparse)
    {
        // Hidden layers as wide as the training's up to the warm-up's limit: a first layer of 64 outputs or more is trained
        // transposed, as the training's is.
        TrainingSettings rehearsal = settings with
        {
            HiddenLayerSizes = [.. settings.HiddenLayerSizes.Select(h => Math.Min(h, MaximumWidth))],
            MaximumNumberOfEpochs = settings.Solver == SolverKind.Lbfgs ? 3 : 1,
            Tolerance = 0,
        };
        int rows = 2 * settings.BatchSize;
        int targetWidth = OutputLayer.For(settings.OutputKind).TargetWidth(settings.OutputSize);
        float[] targets = new float[rows * targetWidth];
        TrainingData data;
        if (sparse)
        {
            (int[] rowStarts, int[] indices, float[] values) = SparseWarmupStep.Rows(rows, width);
            data = new TrainingData(new SparseRows(rowStarts, indices, values, width), targets, targetWidth);
        }
        else
        {
            float[] features = [.. Enumerable.Range(0, rows * width).Select(i => (float)((i % 5) - 2))];
            data = new TrainingData(features, targets, rows, width, targetWidth);
        }

        try
        {
            // With a standardisation (mean 0, scale 1: the values stay), as the trainer gives its data by default.
            var standardization = new InputStandardization(new float[width], Enumerable.Repeat(1f, width).ToArray());
            MlpTrainer.Train(data, rehearsal,
                checkAlive: () =>
                {
                    if (_stop)
                    {
                        throw new OperationCanceledException();
                    }
                },
                standardization: standardization);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits for the warm-up to end (for tests).</summary>
    internal void Join() => _thread.Join();

    private void Run(TrainingSettings settings, int inputSize, bool sparse, WaitHandle? hold, int pacedSteps)
    {
        try
        {
            int width = Math.Clamp(inputSize, 1, MaximumWidth);
            int rows = Math.Clamp(settings.BatchSize, 1, MaximumRows);
            var network = new Network(width, [.. settings.HiddenLayerSizes.Select(h => Math.Min(h, MaximumWidth))], settings.OutputSize,
                settings.Activation, settings.OutputKind);
            GlorotInitializer.Initialize(network, new SeededRandom(0));
            var workspace = new BackpropWorkspace(network, rows, transposedFirstLayer: MlpTrainer.HoldsFirstLayerTransposed(false, settings.FirstLayerOutputs));
            // The training's own optimizer, on this thread only (the kernel pool is the training's).
            IOptimizer? optimizer = settings.Solver == SolverKind.Lbfgs
                ? null
                : StochasticSolver.CreateOptimizer(settings with { NumberOfThreads = 1 }, network.ParameterCount);
            var inputs = new float[rows * width];
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = (i % 7) - 3;
            }

            // Zero is a valid target of every output kind: class 0, a negative label, a regression value.
            var targets = new float[rows * network.TargetWidth];
            var weights = new float[rows];
            Array.Fill(weights, 1f);
            var gradient = new float[network.ParameterCount];
            int[] weightRanges = RawGradient.WeightRangesOf(network);
            InputBatch batch = InputBatch.FromDense(inputs, rows, width);
            _sparseStep = sparse
                ? new SparseWarmupStep(settings, Math.Clamp(inputSize, 1, MaximumSparseWidth), [.. settings.HiddenLayerSizes.Select(h => Math.Min(h, MaximumWidth))], rows)
                : null;
            hold?.WaitOne();
            for (int step = 0; step < Steps + pacedSteps && !_stop; step++)
            {
                if (step >= Steps)
                {
                    Thread.Sleep(PacedStepMilliseconds);
                }

                // Alternate weighted and unweighted rows, as either may come; then the update and a validation-style pass. A
                // minibatch step goes the way training's goes on dense rows (a raw gradient the optimizer finishes), L-BFGS's
                // through the finished gradient.
                if (optimizer is null)
                {
                    workspace.ComputeLossAndGradient(batch, targets, 1e-4f, gradient, step % 2 == 0 ? default : weights);
                }
                else
                {
                    workspace.ComputeLossAndRawGradient(batch, targets, 1e-4f, gradient, step % 2 == 0 ? default : weights, out float scale);
                    optimizer.Step(network.Parameters, gradient, 1e-3, new RawGradient(weightRanges, 1e-4f, scale));
                }

                workspace.ComputeLoss(batch, targets, 1e-4f);
                _sparseStep?.Run(weighted: step % 2 == 1);
                CompletedSteps = step + 1;
                if (step == Steps - 1 && !_stop)
                {
                    TunedRealShapes = TuneRealShapes(settings, inputSize);
                    RehearsedSolver = RehearseSolver(settings, width, sparse: false);
                    RehearsedSparse = sparse && !_stop && RehearseSolver(settings, Math.Clamp(inputSize, 1, MaximumSparseWidth), sparse: true);
                }
            }
        }
        catch (Exception e)
        {
            // Nothing of the training depends on the warm-up; a failure here (e.g. out of memory) costs only speed.
            Failure = e;
        }
    }
}
