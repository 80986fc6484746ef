using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Sparse;

/// <summary>
/// The first layer of a network trained on sparse (CSR) inputs, whose weights are held transposed, [inputs × outputs]
/// (input i's outputs contiguous, so a non-zero input reads and writes one short row): the forward pass, the weight
/// gradient on the inputs a batch touches, and the centring of standardised inputs without densifying anything.
/// </summary>
/// <remarks>
/// <para><b>Centring.</b> Inputs standardised as x' = (x − μ)/σ are stored scaled only, x/σ, so a zero stays a zero. The
/// mean term is folded into the bias: z = Wᵀᵀ·(x/σ) − u + b with u = Σ_i (μ_i/σ_i)·Wᵀ[i, :], and the weight gradient gets
/// its rank-one part −(μ_i/σ_i)·Σ_r δ_r. Both equal the dense computation on (x − μ)/σ up to rounding.</para>
/// <para><b>Exact or lazy.</b> Exact: every weight gets its full gradient every step (the L2 term and the centring term
/// reach inputs the batch does not hold), so the gradient is dense. Lazy: only the touched inputs' rows are computed,
/// and the caller updates only those rows (<see cref="Optimizers.ParameterSubset"/>); u and Σ W² (for the reported L2
/// penalty) then follow the changed rows incrementally, and are recomputed in full every
/// <see cref="RefreshInterval"/> passes to bound rounding drift. Everything is deterministic and independent of the
/// thread count.</para>
/// </remarks>
internal sealed unsafe class SparseFirstLayer
{
    /// <summary>Passes between full recomputations of u and Σ W² in lazy mode.</summary>
    public const int RefreshInterval = 256;

    private readonly Network _network;
    private readonly float[]? _shift;
    private readonly BatchColumns _columns;
    private readonly float[] _offset;
    private readonly float[] _bias;
    private readonly float[] _deltaSum;
    private float[] _saved = [];
    private int[] _savedInputs = [];
    private int _savedCount;
    private int _pendingCount;
    private double _pendingSquares;
    private bool _valid;
    private int _passes;
    private double _sumOfSquares;

    /// <summary>Creates the layer's buffers.</summary>
    /// <param name="network">The network; its first weight block holds Wᵀ while this layer is used.</param>
    /// <param name="shift">μ/σ per input for centred standardised inputs, or null.</param>
    /// <param name="lazy">Whether only the touched inputs' rows are computed and updated.</param>
    public SparseFirstLayer(Network network, float[]? shift, bool lazy)
    {
        if (shift is not null && shift.Length != network.InputSize)
        {
            throw new ArgumentException($"The centring shift has {shift.Length} values; the network has {network.InputSize} inputs.", nameof(shift));
        }

        _network = network;
        _shift = shift is not null && shift.Any(s => s != 0f) ? shift : null;
        Lazy = lazy;
        _columns = new BatchColumns(network.InputSize);
        _offset = new float[network.LayerOutputs(0)];
        _bias = new float[network.LayerOutputs(0)];
        _deltaSum = new float[network.LayerOutputs(0)];
    }

    /// <summary>Whether only touched rows are computed (the caller then updates only those).</summary>
    public bool Lazy { get; }

    /// <summary>The inputs the last gradient pass touched.</summary>
    public ReadOnlySpan<int> Touched => _columns.Touched.AsSpan(0, _columns.TouchedCount);

    /// <summary>
    /// Σ W² of the first layer: in lazy mode as of the last pass, followed incrementally (exact up to the drift bound). It is
    /// asked for after a forward pass (which brings it up to date) and before the update of the rows the gradient pass
    /// touched, so it must not consume the rows saved for that update.
    /// </summary>
    public double SumOfSquares
    {
        get
        {
            if (!Lazy)
            {
                return ElementWise.SumOfSquares(_network.WeightsOf(0));
            }

            if (!_valid)
            {
                Sync();
            }

            return _sumOfSquares;
        }
    }

    /// <summary>u = Σ_i (μ_i/σ_i)·Wᵀ[i, :] as the layer holds it (for tests: it must equal the sum over the current weights).</summary>
    internal ReadOnlySpan<float> Offset => _offset;

    /// <summary>Forgets the incremental state: the next pass recomputes u and Σ W² from the weights (after arbitrary changes).</summary>
    public void Invalidate() => _valid = false;

    /// <summary>
    /// Effectively computes <c>z = f(x·W'ᵀ + b − u)</c> for a sparse batch.
    /// </summary>
    /// <param name="x">The batch (sparse).</param>
    /// <param name="z">Destination [rows × outputs].</param>
    /// <param name="activation">The activation to fuse, or null.</param>
    /// <param name="threads">Threads, the caller included.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(InputBatch x, Span<float> z, HiddenActivation? activation, int threads)
    {
        Sync();
        int outputs = _network.LayerOutputs(0);
        ReadOnlySpan<float> bias = _network.BiasesOf(0);
        for (int o = 0; o < outputs; o++)
        {
            _bias[o] = bias[o] - _offset[o];
        }

        fixed (int* starts = x.RowStarts, indices = x.Indices)
        fixed (float* values = x.Values, w = _network.WeightsOf(0), b = _bias, pz = z)
        {
            var problem = new SparseForwardProblem
            {
                RowStarts = starts,
                Indices = indices,
                Values = values,
                TransposedWeights = w,
                Bias = b,
                Z = pz,
                Rows = x.Rows,
                Outputs = outputs,
                Entries = x.Entries,
                Activation = activation,
                Mode = KernelEpilogue.ModeOf(activation),
            };
            KernelRunner.Run(problem, threads);
        }
    }

    /// <summary>
    /// Writes the first layer's weight gradient (transposed) and its bias gradient, both already multiplied by
    /// <paramref name="scale"/>: in lazy mode only the touched inputs' rows, in exact mode every row.
    /// </summary>
    /// <param name="x">The batch (sparse).</param>
    /// <param name="delta">The errors at the layer's outputs [rows × outputs], sample weights applied.</param>
    /// <param name="l2">The L2 penalty α.</param>
    /// <param name="scale">1 / the batch's weight.</param>
    /// <param name="weightGradient">The weight block of the gradient (transposed).</param>
    /// <param name="biasGradient">The bias block of the gradient.</param>
    /// <param name="threads">Threads, the caller included.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Gradient(InputBatch x, ReadOnlySpan<float> delta, float l2, float scale, Span<float> weightGradient, Span<float> biasGradient, int threads)
    {
        int outputs = _network.LayerOutputs(0);
        Span<float> s = _deltaSum;
        s.Clear();
        for (int r = 0; r < x.Rows; r++)
        {
            ElementWise.Add(delta.Slice(r * outputs, outputs), s);
        }

        ElementWise.Multiply(s, scale, biasGradient);
        Sync(); // consumes the rows saved at the last update before the touched list is rebuilt
        _columns.Build(x);
        if (Lazy)
        {
            SaveTouchedRows();
        }

        fixed (int* touched = _columns.Touched, starts = _columns.Starts, rows = _columns.Rows)
        fixed (float* values = _columns.Values, d = delta, w = _network.WeightsOf(0), g = weightGradient, sum = _deltaSum, shift = _shift)
        {
            var problem = new SparseGradientProblem
            {
                Touched = touched,
                TouchedCount = _columns.TouchedCount,
                ColumnStarts = starts,
                EntryRows = rows,
                EntryValues = values,
                Delta = d,
                TransposedWeights = w,
                Gradient = g,
                DeltaSum = sum,
                Shift = shift,
                Outputs = outputs,
                L2 = l2,
                Scale = scale,
                Entries = x.Entries,
            };
            if (!Lazy)
            {
                // Exact: the L2 and centring terms reach every input; the touched rows are then rewritten whole.
                for (int input = 0; input < _network.InputSize; input++)
                {
                    problem.Start(input, g + ((nint)input * outputs), outputs);
                }
            }

            KernelRunner.Run(problem, threads);
        }

        if (!Lazy)
        {
            _valid = false; // every row is about to change
        }
    }

    /// <summary>
    /// Notes what the coming update of the touched rows will change: their Σ W² as it is now, and a copy of those of them
    /// whose inputs are centred (the rows u depends on; inputs that are rarely non-zero are not centred, so these are few).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SaveTouchedRows()
    {
        int outputs = _network.LayerOutputs(0);
        int count = _columns.TouchedCount;
        ReadOnlySpan<float> weights = _network.WeightsOf(0);
        double squares = 0;
        int saved = 0;
        for (int t = 0; t < count; t++)
        {
            int input = _columns.Touched[t];
            ReadOnlySpan<float> row = weights.Slice(input * outputs, outputs);
            squares += ElementWise.SumOfSquares(row);
            if (_shift is not null && _shift[input] != 0f)
            {
                if (_saved.Length < (saved + 1) * outputs)
                {
                    Array.Resize(ref _saved, Math.Max((saved + 1) * outputs, _saved.Length * 2));
                    Array.Resize(ref _savedInputs, _saved.Length / outputs);
                }

                row.CopyTo(_saved.AsSpan(saved * outputs, outputs));
                _savedInputs[saved++] = input;
            }
        }

        _pendingSquares = squares;
        _pendingCount = count;
        _savedCount = saved;
    }

    /// <summary>Brings u and Σ W² up to date with the weights: in full, or from what <see cref="SaveTouchedRows"/> noted before the last update.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Sync()
    {
        int outputs = _network.LayerOutputs(0);
        ReadOnlySpan<float> weights = _network.WeightsOf(0);
        if (!Lazy && _shift is null)
        {
            return; // u = 0, and Σ W² is computed when asked for
        }

        if (!Lazy || !_valid || ++_passes >= RefreshInterval)
        {
            Array.Clear(_offset);
            _sumOfSquares = 0;
            for (int input = 0; input < _network.InputSize; input++)
            {
                Accumulate(input, weights.Slice(input * outputs, outputs), 1);
            }

            _valid = true;
            _passes = 0;
            _savedCount = _pendingCount = 0;
            return;
        }

        if (_pendingCount > 0)
        {
            double squares = 0;
            for (int t = 0; t < _pendingCount; t++)
            {
                squares += ElementWise.SumOfSquares(weights.Slice(_columns.Touched[t] * outputs, outputs));
            }

            _sumOfSquares += squares - _pendingSquares;
        }

        for (int t = 0; t < _savedCount; t++)
        {
            int input = _savedInputs[t];
            ElementWise.AddScaled(_saved.AsSpan(t * outputs, outputs), -_shift![input], _offset);
            ElementWise.AddScaled(weights.Slice(input * outputs, outputs), _shift[input], _offset);
        }

        _savedCount = _pendingCount = 0;
    }

    /// <summary>Adds (sign 1) or removes (sign −1) one transposed row's share of u and Σ W².</summary>
    private void Accumulate(int input, ReadOnlySpan<float> row, int sign)
    {
        _sumOfSquares += sign * ElementWise.SumOfSquares(row);
        float shift = _shift is null ? 0f : _shift[input];
        if (shift != 0f)
        {
            ElementWise.AddScaled(row, sign * shift, _offset);
        }
    }
}
