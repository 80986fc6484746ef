using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Kernels;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Engine;

/// <summary>The forward pass of <see cref="BackpropWorkspace"/>: layer by layer, with the loss and output error of training.</summary>
internal sealed partial class BackpropWorkspace
{
    /// <summary>
    /// Whether the forward product of a layer after the first, whose weights are held [outputs × inputs], runs on a
    /// transposed copy made for each pass (<see cref="MatrixTranspose"/>) and the broadcast tiles
    /// (<see cref="DenseForwardKernel.ComputeTransposed"/>) rather than on the dot-product tiles: for layers of at least 64
    /// outputs (one AVX-512 panel) and at most 256 inputs, where short dot products spend much of their time on horizontal
    /// sums and tails, in workspaces for at least 32 rows, where the copy is paid back (measured on 2 threads: 256 → 128 at
    /// 128 rows 38 µs against 60, at 32 rows 15 against 16, at 8 rows 10 against 6; 100 → 100 at 128 rows 20 against 62;
    /// 512 → 256 at 128 rows 148 against 133). A rule of the shapes only, so the bits never depend on timing.
    /// </summary>
    /// <param name="inputs">The layer's inputs.</param>
    /// <param name="outputs">The layer's outputs.</param>
    /// <param name="maxRows">The most rows a pass of the workspace takes (the minibatch size).</param>
    /// <returns>Whether the forward product goes through a transposed copy.</returns>
    public static bool TransposesForward(int inputs, int outputs, int maxRows) => outputs >= 64 && inputs <= 256 && maxRows >= 32;

    /// <summary>Forward pass plus per-row loss and output δ; returns Σ w_i·ℓ_i and the normaliser (rows or Σ w_i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double ForwardAndLoss(InputBatch x, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights, out double denominator, bool training)
    {
        Network net = Network;
        int rows = x.Rows;
        int outputs = net.OutputSize;
        int targetWidth = net.TargetWidth;
        if (targets.Length < rows * targetWidth)
        {
            throw new ArgumentException($"Expected at least {rows * targetWidth} target values but got {targets.Length}.", nameof(targets));
        }

        bool weighted = !sampleWeights.IsEmpty;
        if (weighted && sampleWeights.Length < rows)
        {
            throw new ArgumentException($"Expected {rows} sample weights but got {sampleWeights.Length}.", nameof(sampleWeights));
        }

        OutputLayer output = net.OutputLayer;
        // Row-by-row outputs are computed with the losses, over the kernel pool; others (sigmoid) over the whole batch first.
        ForwardPass(x, training, activateOutputs: !output.ActivatesRowByRow);
        ReadOnlySpan<float> logits = Scratch.LastLogits;
        Span<float> delta = _deltas[^1];
        OutputStage.Run(output, logits, Scratch.OutputsBuffer, targets, delta, _rowLoss, rows, outputs, targetWidth, output.ActivatesRowByRow, Threads);

        double lossSum = 0;
        double weightSum = 0;
        for (int r = 0; r < rows; r++)
        {
            double rowLoss = _rowLoss[r];
            if (weighted)
            {
                lossSum += sampleWeights[r] * rowLoss;
                weightSum += sampleWeights[r];
            }
            else
            {
                lossSum += rowLoss;
            }
        }

        denominator = weighted ? weightSum : rows;
        if (!(denominator > 0))
        {
            throw new ArgumentException("The sample weights of a batch must add up to a positive number.", nameof(sampleWeights));
        }

        return lossSum;
    }

    /// <summary>
    /// The forward pass, layer by layer: the first layer dense or sparse, the others dense. In a training pass
    /// (<paramref name="training"/>) it also keeps the hidden pre-activations when the activation's derivative needs them
    /// and applies dropout to the hidden activations (the scratch then holds the activations before dropout; the dropped
    /// ones are in the dropout's buffers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<float> ForwardPass(InputBatch x, bool training, bool activateOutputs = true)
    {
        Network net = Network;
        int rows = x.Rows;
        Scratch.CheckFits(net, rows);
        if (x.Width != net.InputSize)
        {
            throw new ArgumentException($"The batch has {x.Width} inputs per row; the network expects {net.InputSize}.", nameof(x));
        }

        TrainingBuffers? buffers = training ? _training : null;
        ReadOnlySpan<float> a = x.Dense;
        int last = net.LayerCount - 1;
        for (int l = 0; l <= last; l++)
        {
            int outputs = net.LayerOutputs(l);
            Span<float> z = (l == last ? Scratch.LogitsBuffer : Scratch.HiddenBuffer(l)).AsSpan(0, rows * outputs);
            bool keepZ = l != last && buffers is { KeepsPreActivations: true };
            HiddenActivation? fused = l == last || keepZ ? null : net.HiddenFunction.InTraining;
            if (l == 0 && x.IsSparse)
            {
                SparseLayer().Forward(x, z, fused, Threads);
            }
            else if (l == 0 && FirstLayerTransposed)
            {
                DenseForwardKernel.ComputeTransposed(a, rows, net.LayerInputs(l), net.WeightsOf(l), net.BiasesOf(l), outputs, z, fused, Threads);
            }
            else if (_transposedWeights[l] is { } transposed)
            {
                // The weights change between passes: a fresh transposed copy each time.
                MatrixTranspose.Transpose(net.WeightsOf(l), outputs, net.LayerInputs(l), transposed);
                DenseForwardKernel.ComputeTransposed(a, rows, net.LayerInputs(l), transposed, net.BiasesOf(l), outputs, z, fused, Threads);
            }
            else
            {
                DenseForwardKernel.Compute(a, rows, net.LayerInputs(l), net.WeightsOf(l), net.BiasesOf(l), outputs, z, fused, Threads);
            }

            if (keepZ)
            {
                z.CopyTo(buffers!.PreActivation(l, z.Length));
                net.HiddenFunction.InTraining.Apply(z);
            }

            a = l != last && buffers?.Dropout is { } dropout ? dropout.Apply(l, z) : z;
        }

        Span<float> result = Scratch.OutputsBuffer.AsSpan(0, rows * net.OutputSize);
        if (activateOutputs)
        {
            net.OutputLayer.ActivateInTraining(a, result, net.OutputSize);
        }

        Scratch.Rows = rows;
        return result;
    }
}
