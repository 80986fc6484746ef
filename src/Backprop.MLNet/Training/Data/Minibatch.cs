using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>A view of one minibatch: its inputs (dense or sparse), targets and (optional) weights.</summary>
internal readonly ref struct Minibatch
{
    /// <summary>Creates the view.</summary>
    /// <param name="inputs">The rows' features.</param>
    /// <param name="targets">Targets [rows × target width].</param>
    /// <param name="weights">Weights [rows], or empty when unweighted.</param>
    public Minibatch(InputBatch inputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights)
    {
        Inputs = inputs;
        Targets = targets;
        Weights = weights;
    }

    /// <summary>The rows' features, dense or sparse.</summary>
    public InputBatch Inputs { get; }

    /// <summary>Targets [rows × target width], row-major.</summary>
    public ReadOnlySpan<float> Targets { get; }

    /// <summary>Per-row weights, or empty when the data is unweighted.</summary>
    public ReadOnlySpan<float> Weights { get; }

    /// <summary>Number of rows in the batch.</summary>
    public int Rows => Inputs.Rows;

    /// <summary>Σ weights of the batch (its row count when unweighted).</summary>
    public double WeightSum
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get
        {
            if (Weights.IsEmpty)
            {
                return Rows;
            }

            double sum = 0;
            foreach (float w in Weights)
            {
                sum += w;
            }

            return sum;
        }
    }
}
