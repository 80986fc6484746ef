using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Parallel;
using Backprop.MLNet.Engine.Sparse;

namespace Backprop.MLNet.Engine;

/// <summary>
/// Buffers and the forward/backward pass for training one <see cref="Network"/> on minibatches of
/// up to <see cref="MaxRows"/> rows. All buffers are allocated once in the constructor; the passes
/// allocate nothing. Not thread-safe: one workspace per training thread.
/// </summary>
/// <remarks>
/// Loss and gradient follow scikit-learn's <c>BaseMultilayerPerceptron._backprop</c>: with n rows,
/// loss = (Σ_rows ℓ + ½·l2·Σ W²) / n (biases are not regularised), ∂W_l = (Δ_lᵀ·A_(l−1) + l2·W_l) / n,
/// ∂b_l = Σ_rows Δ_l / n, Δ_L = ŷ − y at the output and Δ_l = (Δ_(l+1)·W_(l+1)) ⊙ f′(z_l) below it.
/// With sample weights w, every Σ_rows becomes Σ_rows w_i·(…) and n becomes Σ w_i, so a row of
/// weight 2 counts exactly like that row present twice.
/// Training may hold the first layer's weights transposed, [inputs × outputs] (<see cref="FirstLayerTransposed"/>: always
/// for sparse rows, for dense ones when the layer is wide enough): a dense batch then goes through the broadcast kernels
/// that read them as stored (the first layer needs no input gradient, and its forward product runs on the faster
/// broadcast tiles), a sparse batch (<see cref="InputBatch.IsSparse"/>) through the <see cref="SparseFirstLayer"/> the
/// workspace was created with; every later layer is dense, [outputs × inputs], its forward product read through a
/// transposed copy when <see cref="TransposesForward"/> says so.
/// </remarks>
internal sealed partial class BackpropWorkspace
{
    private readonly float[][] _deltas;
    private readonly double[] _rowLoss;
    private readonly TrainingBuffers? _training;
    private readonly SparseFirstLayer? _sparse;
    private readonly float[]?[] _transposedWeights;

    /// <summary>Creates the buffers for training <paramref name="network"/> on batches of up to <paramref name="maxRows"/> rows.</summary>
    /// <param name="network">The network whose <see cref="Network.Parameters"/> the passes read.</param>
    /// <param name="maxRows">Largest batch size (≥ 1).</param>
    /// <param name="threads">Maximum threads for the matrix kernels (≥ 1, the calling thread included); results are bit-identical for every value.</param>
    /// <param name="dropout">Dropout of the hidden layers in training passes (<see cref="ComputeLossAndGradient(InputBatch, ReadOnlySpan{float}, float, Span{float}, ReadOnlySpan{float})"/>), or null.</param>
    /// <param name="sparse">The first layer for sparse batches (the network's first weights then transposed), or null for dense batches only.</param>
    /// <param name="transposedFirstLayer">
    /// Whether the network's first weight block holds Wᵀ [inputs × outputs] (implied by <paramref name="sparse"/>); see
    /// <see cref="FirstLayerTransposed"/>.
    /// </param>
    public BackpropWorkspace(Network network, int maxRows, int threads = 1, Dropout? dropout = null, SparseFirstLayer? sparse = null, bool transposedFirstLayer = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Network = network;
        Threads = threads;
        Scratch = network.CreateScratch(maxRows);
        _training = TrainingBuffers.Needed(network, dropout) ? new TrainingBuffers(network, maxRows, dropout) : null;
        _sparse = sparse;
        FirstLayerTransposed = transposedFirstLayer || sparse is not null;
        _rowLoss = new double[maxRows];
        _transposedWeights = new float[network.LayerCount][];
        for (int l = 1; l < network.LayerCount; l++)
        {
            if (TransposesForward(network.LayerInputs(l), network.LayerOutputs(l), maxRows))
            {
                _transposedWeights[l] = new float[network.WeightCount(l)];
            }
        }

        _deltas = new float[network.LayerCount][];
        for (int l = 0; l < _deltas.Length; l++)
        {
            _deltas[l] = new float[checked(maxRows * network.LayerOutputs(l))];
        }
    }

    /// <summary>The network being evaluated.</summary>
    public Network Network { get; }

    /// <summary>Largest batch size.</summary>
    public int MaxRows => Scratch.MaxRows;

    /// <summary>Maximum threads the matrix kernels use (see <see cref="KernelWorkerPool"/>); results do not depend on it.</summary>
    public int Threads { get; }

    /// <summary>The forward-pass buffers (outputs, logits and hidden activations of the last pass).</summary>
    public InferenceScratch Scratch { get; }

    /// <summary>
    /// Whether the network's first weight block is held transposed, [inputs × outputs], as training holds it
    /// (<see cref="Training.MlpTrainer"/>; <see cref="FirstLayerLayout"/> switches a vector between the layouts).
    /// </summary>
    public bool FirstLayerTransposed { get; }

    /// <summary>The first layer of sparse batches, or null.</summary>
    public SparseFirstLayer? Sparse => _sparse;

    /// <summary>
    /// The error at the output logits from the last loss computation, [rows × outputs]: δ = ŷ − y
    /// (multiplied row-wise by the sample weight when weights were given).
    /// </summary>
    public ReadOnlySpan<float> OutputDelta => _deltas[^1].AsSpan(0, Scratch.Rows * Network.OutputSize);

    /// <summary>Runs the forward pass on dense rows; returns the outputs [rows × outputs] (see <see cref="Network.Forward"/>).</summary>
    /// <param name="x">Inputs [rows × inputs].</param>
    /// <param name="rows">Number of rows, 1 ≤ rows ≤ <see cref="MaxRows"/>.</param>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int rows) => Forward(InputBatch.FromDense(x, rows, Network.InputSize));

    /// <summary>Runs the forward pass of prediction; returns the outputs [rows × outputs].</summary>
    /// <param name="x">The rows, dense or sparse; 1 ≤ rows ≤ <see cref="MaxRows"/>.</param>
    public ReadOnlySpan<float> Forward(InputBatch x) => ForwardPass(x, training: false);

    /// <summary>Computes the (weighted) mean loss of a dense batch including the L2 term, without the gradient.</summary>
    /// <param name="x">Inputs [rows × inputs].</param>
    /// <param name="targets">Targets [rows × <see cref="Network.TargetWidth"/>].</param>
    /// <param name="rows">Number of rows, 1 ≤ rows ≤ <see cref="MaxRows"/>.</param>
    /// <param name="l2">L2 penalty α (scikit-learn's <c>alpha</c>); 0 for none.</param>
    /// <param name="sampleWeights">Per-row weights [rows], or empty for all ones.</param>
    public double ComputeLoss(ReadOnlySpan<float> x, ReadOnlySpan<float> targets, int rows, float l2, ReadOnlySpan<float> sampleWeights = default) =>
        ComputeLoss(InputBatch.FromDense(x, rows, Network.InputSize), targets, l2, sampleWeights);

    /// <summary>Computes the (weighted) mean loss of a batch including the L2 term, without the gradient.</summary>
    /// <param name="x">The rows, dense or sparse.</param>
    /// <param name="targets">Targets [rows × <see cref="Network.TargetWidth"/>].</param>
    /// <param name="l2">L2 penalty α; 0 for none.</param>
    /// <param name="sampleWeights">Per-row weights [rows], or empty for all ones.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double ComputeLoss(InputBatch x, ReadOnlySpan<float> targets, float l2, ReadOnlySpan<float> sampleWeights = default)
    {
        double lossSum = ForwardAndLoss(x, targets, sampleWeights, out double denominator, training: false);
        return (lossSum + (0.5 * l2 * WeightSumOfSquares(l2))) / denominator;
    }

    /// <summary>The forward and backward pass over a dense batch (see the <see cref="InputBatch"/> overload).</summary>
    /// <param name="x">Inputs [rows × inputs].</param>
    /// <param name="targets">Targets [rows × <see cref="Network.TargetWidth"/>].</param>
    /// <param name="rows">Number of rows, 1 ≤ rows ≤ <see cref="MaxRows"/>.</param>
    /// <param name="l2">L2 penalty α (scikit-learn's <c>alpha</c>); 0 for none.</param>
    /// <param name="gradient">Destination, length <see cref="Network.ParameterCount"/>; overwritten.</param>
    /// <param name="sampleWeights">Per-row weights [rows], or empty for all ones.</param>
    /// <returns>The loss, see the class remarks.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double ComputeLossAndGradient(
        ReadOnlySpan<float> x, ReadOnlySpan<float> targets, int rows, float l2, Span<float> gradient, ReadOnlySpan<float> sampleWeights = default) =>
        ComputeLossAndGradient(InputBatch.FromDense(x, rows, Network.InputSize), targets, l2, gradient, sampleWeights);

    /// <summary>
    /// Forward and backward pass over one batch: returns the batch loss and writes the gradient of
    /// that loss with respect to <see cref="Network.Parameters"/> (same layout) into <paramref name="gradient"/>.
    /// For a sparse batch with a lazy <see cref="SparseFirstLayer"/>, only the touched inputs' rows of the first
    /// weight block are written (<see cref="SparseFirstLayer.Touched"/>); the rest of that block is not.
    /// </summary>
    /// <param name="x">The rows, dense or sparse.</param>
    /// <param name="targets">Targets [rows × <see cref="Network.TargetWidth"/>].</param>
    /// <param name="l2">L2 penalty α (scikit-learn's <c>alpha</c>); 0 for none.</param>
    /// <param name="gradient">Destination, length <see cref="Network.ParameterCount"/>.</param>
    /// <param name="sampleWeights">Per-row weights [rows], or empty for all ones.</param>
    /// <returns>The loss, see the class remarks.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double ComputeLossAndGradient(InputBatch x, ReadOnlySpan<float> targets, float l2, Span<float> gradient, ReadOnlySpan<float> sampleWeights = default) =>
        LossAndGradient(x, targets, l2, gradient, sampleWeights, finish: true, out _);

    /// <summary>
    /// The pass of <see cref="ComputeLossAndGradient(InputBatch, ReadOnlySpan{float}, float, Span{float}, ReadOnlySpan{float})"/>
    /// on a dense batch, leaving the gradient raw: Δᵀ·A for the weights and Δᵀ·1 for the biases, without the L2 term and the
    /// division by the batch's weight, which the optimizer applies as it steps (<see cref="Optimizers.RawGradient"/>, with
    /// <paramref name="scale"/>): the same bits, one pass over the gradient fewer.
    /// </summary>
    /// <param name="x">The rows, dense.</param>
    /// <param name="targets">Targets [rows × <see cref="Network.TargetWidth"/>].</param>
    /// <param name="l2">L2 penalty α, for the loss only.</param>
    /// <param name="gradient">Destination of the raw gradient, length <see cref="Network.ParameterCount"/>.</param>
    /// <param name="sampleWeights">Per-row weights [rows], or empty for all ones.</param>
    /// <param name="scale">1 / the batch's weight (its row count, or Σ w_i), as a float.</param>
    /// <returns>The loss, see the class remarks.</returns>
    /// <exception cref="ArgumentException">The batch is sparse (its first layer finishes its own gradient).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double ComputeLossAndRawGradient(InputBatch x, ReadOnlySpan<float> targets, float l2, Span<float> gradient, ReadOnlySpan<float> sampleWeights, out float scale)
    {
        if (x.IsSparse)
        {
            throw new ArgumentException("A sparse batch's first layer finishes its own gradient; use ComputeLossAndGradient.", nameof(x));
        }

        return LossAndGradient(x, targets, l2, gradient, sampleWeights, finish: false, out scale);
    }

    /// <summary>The forward and backward pass; with <paramref name="finish"/> the dense layers' gradients are finished here.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double LossAndGradient(InputBatch x, ReadOnlySpan<float> targets, float l2, Span<float> gradient, ReadOnlySpan<float> sampleWeights, bool finish, out float scale)
    {
        Network net = Network;
        if (gradient.Length != net.ParameterCount)
        {
            throw new ArgumentException($"The gradient must have {net.ParameterCount} elements but has {gradient.Length}.", nameof(gradient));
        }

        int rows = x.Rows;
        double lossSum = ForwardAndLoss(x, targets, sampleWeights, out double denominator, training: true);
        scale = (float)(1.0 / denominator);

        int outputs = net.OutputSize;
        if (!sampleWeights.IsEmpty)
        {
            Span<float> outputDelta = _deltas[^1];
            for (int r = 0; r < rows; r++)
            {
                ElementWise.Scale(outputDelta.Slice(r * outputs, outputs), sampleWeights[r]);
            }
        }

        for (int l = net.LayerCount - 1; l >= 0; l--)
        {
            int nIn = net.LayerInputs(l);
            int nOut = net.LayerOutputs(l);
            ReadOnlySpan<float> delta = _deltas[l].AsSpan(0, rows * nOut);
            Dropout? dropout = _training?.Dropout;
            Span<float> gw = gradient.Slice(net.WeightOffset(l), net.WeightCount(l));
            Span<float> gb = gradient.Slice(net.BiasOffset(l), nOut);
            if (l == 0 && x.IsSparse)
            {
                SparseLayer().Gradient(x, delta, l2, scale, gw, gb, Threads);
            }
            else
            {
                // The layer's input as it was fed forward: after dropout, when there is dropout.
                ReadOnlySpan<float> a = l == 0 ? x.Dense : dropout is null ? Scratch.HiddenActivations(l - 1) : dropout.Dropped(l - 1, rows * nIn);
                if (l == 0 && FirstLayerTransposed)
                {
                    WeightGradientKernel.ComputeTransposed(delta, rows, nOut, a, nIn, gw, gb, Threads);
                }
                else
                {
                    WeightGradientKernel.Compute(delta, rows, nOut, a, nIn, gw, gb, Threads);
                }

                if (finish)
                {
                    if (l2 != 0f)
                    {
                        ElementWise.AddScaled(net.WeightsOf(l), l2, gw);
                    }

                    ElementWise.Scale(gw, scale);
                    ElementWise.Scale(gb, scale);
                }
            }

            if (l > 0)
            {
                // f′ is read off the activations before dropout, or off the pre-activations when the function needs them.
                Span<float> below = _deltas[l - 1].AsSpan(0, rows * nIn);
                ReadOnlySpan<float> derivativeAt = _training is { KeepsPreActivations: true }
                    ? _training.PreActivation(l - 1, rows * nIn) : Scratch.HiddenActivations(l - 1);
                if (dropout is null)
                {
                    InputGradientKernel.Compute(delta, rows, nOut, net.WeightsOf(l), nIn, below, net.HiddenFunction, derivativeAt, Threads);
                }
                else
                {
                    InputGradientKernel.Compute(delta, rows, nOut, net.WeightsOf(l), nIn, below, null, default, Threads);
                    dropout.MultiplyByMask(l - 1, below);
                    net.HiddenFunction.MultiplyByDerivative(derivativeAt, below);
                }
            }
        }

        return (lossSum + (0.5 * l2 * WeightSumOfSquares(l2))) / denominator;
    }

    private SparseFirstLayer SparseLayer() =>
        _sparse ?? throw new InvalidOperationException("A sparse batch needs a workspace created with a SparseFirstLayer.");

    /// <summary>Σ W² over all weight matrices (not biases) in double precision; 0 when <paramref name="l2"/> is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double WeightSumOfSquares(float l2)
    {
        if (l2 == 0f)
        {
            return 0;
        }

        // Only the reported loss uses this (the gradient's L2 term is l2·W).
        double sum = 0;
        Network net = Network;
        for (int l = 0; l < net.LayerCount; l++)
        {
            sum += l == 0 && _sparse is not null ? _sparse.SumOfSquares : ElementWise.SumOfSquares(net.WeightsOf(l));
        }

        return sum;
    }
}
