using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Engine.Inference;

/// <summary>
/// A read-only copy of a trained <see cref="Network"/> laid out for prediction: each layer's weights are stored
/// transposed in panels of <see cref="PanelWidth"/> outputs (panel row k holds the weights of input k to those
/// outputs, contiguous and 64-byte aligned), so the forward pass multiply–adds whole rows of a panel into vector
/// accumulators with no horizontal sums (see <see cref="PanelMicroKernels"/>).
/// </summary>
/// <remarks>
/// <para>Training keeps its own kernels, which read the weights where the optimizers write them (the first layer held
/// transposed, the others as the network holds them or through a transposed copy per pass, see
/// <see cref="BackpropWorkspace"/>). Prediction (ML.NET's row mapper, block scoring, <c>PredictionEngine</c>) uses this
/// copy, built once per model, which skips zero inputs: the two may sum the same products in a different order, so they
/// agree to float rounding, while one row gives the same bits alone as inside any batch, on any thread count.</para>
/// <para>One row alone is a matrix–vector product whose time is spent streaming the weights from cache; this
/// layout lets it read only the panel rows of inputs that are not zero (zero pixels, one-hot features, and the
/// hidden units ReLU switched off), which is exact. A sparse batch (<see cref="InputBatch"/> in CSR form) is read the
/// same way in its first layer, row by row, without ever being made dense; the layers after it are dense.</para>
/// </remarks>
internal sealed unsafe class PackedNetwork
{
    /// <summary>Outputs per panel (four 16-float vectors).</summary>
    public const int PanelWidth = 64;

    /// <summary>Panel widths are rounded up to a multiple of this many floats (one AVX-512 vector).</summary>
    private const int Granule = 16;

    private readonly Network _network;

    /// <summary>The pinned buffer holding every panel and padded bias; never moves, so <see cref="_base"/> stays valid.</summary>
    private readonly float[] _buffer;

    /// <summary>The first 64-byte-aligned float of <see cref="_buffer"/>.</summary>
    private readonly float* _base;

    private readonly Layer[] _layers;

    /// <summary>Packs the current parameters of <paramref name="network"/> (later changes to it are not seen).</summary>
    /// <param name="network">The trained network.</param>
    /// <exception cref="ArgumentException">The packed layout would not fit one .NET array (see <see cref="TryCreate"/>).</exception>
    public PackedNetwork(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        _layers = Plan(network, out long total);
        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"The packed layout needs {total} floats, more than one array holds.", nameof(network));
        }

        _buffer = GC.AllocateArray<float>((int)total, pinned: true);
        float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        _base = (float*)(((nint)start + 63) & ~(nint)63);
        for (int l = 0; l < _layers.Length; l++)
        {
            Pack(_layers[l], network.WeightsOf(l), network.BiasesOf(l));
        }
    }

    /// <summary>
    /// Packs <paramref name="network"/>, or returns null when its packed layout would need more than
    /// <paramref name="maximumFloats"/> floats (the panels pad each layer's outputs to a multiple of 16, so a huge input
    /// feeding a layer of a few outputs can grow many times over); prediction then uses <see cref="Network.Forward"/>.
    /// </summary>
    /// <param name="network">The trained network.</param>
    /// <param name="maximumFloats">The largest layout to build; at most one array's length.</param>
    public static PackedNetwork? TryCreate(Network network, long maximumFloats = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(network);
        Plan(network, out long total);
        return total > Math.Min(maximumFloats, Array.MaxLength) ? null : new PackedNetwork(network);
    }

    /// <summary>Floats the packed layout of <paramref name="network"/> needs, alignment slack included.</summary>
    /// <param name="network">The network.</param>
    public static long RequiredFloats(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Plan(network, out long total);
        return total;
    }

    /// <summary>Lays out every layer; <paramref name="total"/> receives the floats needed, alignment slack included.</summary>
    private static Layer[] Plan(Network network, out long total)
    {
        var layers = new Layer[network.LayerCount];
        long end = 0;
        for (int l = 0; l < layers.Length; l++)
        {
            var layer = new Layer(network.LayerSizes[l], network.LayerSizes[l + 1], end);
            layers[l] = layer;
            end = layer.BiasOffset + ((long)layer.PanelCount * PanelWidth);
        }

        total = end + Granule;
        return layers;
    }

    /// <summary>The network this copy was made from (sizes, activation and output layer).</summary>
    public Network Source => _network;

    /// <summary>Bytes of the packed copy.</summary>
    public long Bytes => (long)_buffer.Length * sizeof(float);

    /// <summary>
    /// Runs the forward pass on <paramref name="rows"/> dense rows without allocating, like <see cref="Network.Forward"/>.
    /// </summary>
    /// <param name="x">Inputs, row-major [rows × inputs] (extra trailing values are ignored).</param>
    /// <param name="rows">Number of rows, 1 ≤ rows ≤ <see cref="InferenceScratch.MaxRows"/>.</param>
    /// <param name="scratch">Caller-owned buffers from <see cref="Network.CreateScratch"/>; after the call they also hold the logits and hidden activations.</param>
    /// <param name="threads">Maximum threads, the caller included; results do not depend on it.</param>
    /// <returns>The outputs [rows × outputs] (probabilities for sigmoid/softmax, values for identity), a view into <paramref name="scratch"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int rows, InferenceScratch scratch, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        scratch.CheckFits(_network, rows);
        int inputSize = _network.InputSize;
        if (x.Length < rows * inputSize)
        {
            throw new ArgumentException($"Expected at least {rows * inputSize} input values but got {x.Length}.", nameof(x));
        }

        return Forward(InputBatch.FromDense(x, rows, inputSize), scratch, threads);
    }

    /// <summary>
    /// Runs the forward pass on a batch of dense or sparse (CSR) rows without allocating (after a first dense one-row
    /// pass has sized the scratch's list of non-zero inputs). A sparse batch's first layer reads, for each row, only the
    /// panel rows of its stored entries, in increasing index order; the outputs are bit for bit those of the same rows
    /// given dense (see <see cref="PanelMicroKernels"/>), whatever the batch and the thread count.
    /// </summary>
    /// <param name="x">The rows; <see cref="InputBatch.Width"/> must be the network's input size, and a sparse batch's indices are checked.</param>
    /// <param name="scratch">Caller-owned buffers from <see cref="Network.CreateScratch"/>; after the call they also hold the logits and hidden activations.</param>
    /// <param name="threads">Maximum threads, the caller included; results do not depend on it.</param>
    /// <returns>The outputs [rows × outputs] (probabilities for sigmoid/softmax, values for identity), a view into <paramref name="scratch"/>.</returns>
    /// <exception cref="ArgumentException">The width differs from the network's inputs, or a sparse row's indices are out of range or order.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<float> Forward(InputBatch x, InferenceScratch scratch, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        int rows = x.Rows;
        scratch.CheckFits(_network, rows);
        if (x.Width != _network.InputSize)
        {
            throw new ArgumentException($"The batch has {x.Width} inputs per row; the network has {_network.InputSize}.", nameof(x));
        }

        CsrRows.Check(x);
        int last = _layers.Length - 1;
        KernelIsa path = KernelPath.Current;
        EpilogueMode hiddenMode = KernelEpilogue.ModeOf(_network.HiddenFunction);
        for (int l = 0; l <= last; l++)
        {
            Layer layer = _layers[l];
            Span<float> output = (l == last ? scratch.LogitsBuffer : scratch.HiddenBuffer(l)).AsSpan(0, rows * layer.Outputs);
            var problem = new PanelForwardProblem
            {
                Layer = layer,
                Packed = _base,
                Rows = rows,
                Activation = l == last ? null : _network.HiddenFunction,
                Mode = l == last ? EpilogueMode.None : hiddenMode,
                Isa = path,
            };
            if (l == 0 && x.IsSparse)
            {
                RunCsr(problem, x.RowStarts, x.Indices, x.Values, output, threads);
            }
            else
            {
                ReadOnlySpan<float> input = l == 0 ? x.Dense : scratch.HiddenBuffer(l - 1).AsSpan(0, rows * layer.Inputs);
                RunDense(problem, input, output, scratch, threads);
            }
        }

        return _network.ActivateOutputsByRow(scratch, rows);
    }

    /// <summary>Runs one layer on dense rows; one row alone goes as the CSR list of its non-zero inputs (NaN included), so only their panel rows are read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunDense(PanelForwardProblem problem, ReadOnlySpan<float> a, Span<float> z, InferenceScratch scratch, int threads)
    {
        if (problem.Rows == 1)
        {
            scratch.EnsureNonzeroCapacity(a.Length);
            int[] indices = scratch.NonzeroIndices;
            Span<int> starts = stackalloc int[2];
            fixed (float* x = a, pz = z)
            fixed (int* i = indices, pStarts = starts)
            {
                pStarts[1] = ListNonzero(x, a.Length, i);
                problem.RowStarts = pStarts;
                problem.Indices = i;
                problem.Values = x;
                problem.ValuesAreDenseRow = true;
                problem.Z = pz;
                KernelRunner.Run(problem, threads);
            }

            return;
        }

        fixed (float* pa = a, pz = z)
        {
            problem.A = pa;
            problem.Z = pz;
            KernelRunner.Run(problem, threads);
        }
    }

    /// <summary>Runs one layer on CSR rows (checked: indices strictly increasing within [0, inputs)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunCsr(PanelForwardProblem problem, ReadOnlySpan<int> rowStarts, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> z, int threads)
    {
        fixed (int* starts = rowStarts, columns = indices)
        fixed (float* v = values, pz = z)
        {
            problem.RowStarts = starts;
            problem.Indices = columns;
            problem.Values = v;
            problem.Z = pz;
            KernelRunner.Run(problem, threads);
        }
    }

    /// <summary>Writes the indices i &lt; <paramref name="count"/> with <c>x[i] != 0</c> (NaN included) in increasing order; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ListNonzero(float* x, int count, int* indices)
    {
        int found = 0;
        for (int i = 0; i < count; i++)
        {
            indices[found] = i;
            found += x[i] != 0f ? 1 : 0;
        }

        return found;
    }

    /// <summary>Copies one layer's weights (row-major [outputs × inputs]) and biases into its panels; padding stays zero.</summary>
    private void Pack(Layer layer, ReadOnlySpan<float> weights, ReadOnlySpan<float> biases)
    {
        int k = layer.Inputs, n = layer.Outputs;
        for (int p = 0; p < layer.PanelCount; p++)
        {
            int width = layer.PanelWidthOf(p);
            int column = p * PanelWidth;
            int valid = Math.Min(PanelWidth, n - column);
            float* panel = _base + layer.PanelOffset(p);
            for (int j = 0; j < valid; j++)
            {
                ReadOnlySpan<float> row = weights.Slice((column + j) * k, k);
                for (int i = 0; i < k; i++)
                {
                    panel[((nint)i * width) + j] = row[i];
                }
            }
        }

        for (int j = 0; j < n; j++)
        {
            _base[layer.BiasOffset + j] = biases[j];
        }
    }

    /// <summary>Where one layer's panels and biases are in the packed buffer, in floats from its aligned start.</summary>
    internal readonly struct Layer
    {
        /// <summary>Lays out a layer whose panels start at <paramref name="offset"/> (a multiple of 16).</summary>
        /// <param name="inputs">Inputs (k).</param>
        /// <param name="outputs">Outputs.</param>
        /// <param name="offset">Offset of the first panel.</param>
        public Layer(int inputs, int outputs, long offset)
        {
            Inputs = inputs;
            Outputs = outputs;
            PanelCount = (outputs + PanelWidth - 1) / PanelWidth;
            WeightOffset = offset;
            int lastWidth = PanelWidthOf(PanelCount - 1);
            BiasOffset = offset + ((long)inputs * (((PanelCount - 1) * PanelWidth) + lastWidth));
        }

        /// <summary>Inputs (k).</summary>
        public int Inputs { get; }

        /// <summary>Outputs.</summary>
        public int Outputs { get; }

        /// <summary>Number of panels.</summary>
        public int PanelCount { get; }

        /// <summary>Offset of the first panel.</summary>
        public long WeightOffset { get; }

        /// <summary>Offset of the biases, padded with zeros to <see cref="PanelCount"/> × <see cref="PanelWidth"/>.</summary>
        public long BiasOffset { get; }

        /// <summary>Width of panel <paramref name="panel"/>: 64, or the outputs left rounded up to 16.</summary>
        /// <param name="panel">Panel index.</param>
        public int PanelWidthOf(int panel)
        {
            int left = Outputs - (panel * PanelWidth);
            return left >= PanelWidth ? PanelWidth : (left + Granule - 1) / Granule * Granule;
        }

        /// <summary>Offset of panel <paramref name="panel"/>.</summary>
        /// <param name="panel">Panel index.</param>
        public long PanelOffset(int panel) => WeightOffset + ((long)panel * Inputs * PanelWidth);
    }
}
