using Backprop.MLNet.Engine.Lbfgs;
using Backprop.MLNet.Engine.Optimizers;
using Backprop.MLNet.Training.Solvers;

namespace Backprop.MLNet.Training;

/// <summary>
/// The memory a training needs besides its data, estimated from the shapes before anything is allocated, so that a
/// network that could never be trained is refused at once.
/// </summary>
/// <remarks>
/// The estimate (bytes) effectively computes 4 · (P · (1 + B) + 3 · R · Σ widths + T), where P is the number of parameters,
/// B the parameter-sized float buffers the solver keeps besides the weights, and R the rows of one forward/backward pass
/// (the minibatch, or the L-BFGS chunk), whose activations, errors and inputs are kept per layer. B is read off the
/// engine: the gradient, the optimizer's state (<see cref="SgdOptimizer.StateBuffers"/>, <see cref="AdamOptimizer.StateBuffers"/>)
/// and the best epoch's weights; for L-BFGS the chunk gradient and the minimizer's own buffers
/// (<see cref="LbfgsMinimizer.FloatsPerParameter"/>). T counts the transposed copies of the weights of the layers whose forward
/// product runs on one (<see cref="Engine.BackpropWorkspace.TransposesForward"/>).
/// </remarks>
internal static class TrainingMemory
{
    /// <summary>The number of parameters of a network with the given layer widths (input first).</summary>
    /// <param name="widths">All layer widths, input and output included.</param>
    public static Int128 Parameters(IReadOnlyList<int> widths)
    {
        Int128 parameters = 0;
        for (int i = 1; i < widths.Count; i++)
        {
            parameters += ((Int128)widths[i - 1] + 1) * widths[i];
        }

        return parameters;
    }

    /// <summary>Estimated bytes of a training of a network with <paramref name="widths"/> (see the remarks).</summary>
    /// <param name="widths">All layer widths, input and output included.</param>
    /// <param name="solver">The solver.</param>
    /// <param name="batchRows">Rows per minibatch (already capped at the row count when it is known).</param>
    public static double Bytes(IReadOnlyList<int> widths, SolverKind solver, long batchRows)
    {
        int buffers = solver switch
        {
            SolverKind.Sgd => 1 + SgdOptimizer.StateBuffers + 1,
            SolverKind.Adam => 1 + AdamOptimizer.StateBuffers + 1,
            _ => 1 + LbfgsMinimizer.FloatsPerParameter(LbfgsMinimizer.DefaultMemory),
        };
        long rows = solver == SolverKind.Lbfgs ? Math.Min(batchRows, LbfgsSolver.ChunkRows) : batchRows;
        double units = 0;
        foreach (int width in widths)
        {
            units += width;
        }

        double copies = 0;
        for (int l = 2; l < widths.Count; l++)
        {
            if (Engine.BackpropWorkspace.TransposesForward(widths[l - 1], widths[l], (int)Math.Min(rows, int.MaxValue)))
            {
                copies += (double)widths[l - 1] * widths[l];
            }
        }

        return 4 * (((double)Parameters(widths) * (1 + buffers)) + (3.0 * rows * units) + copies);
    }
}
