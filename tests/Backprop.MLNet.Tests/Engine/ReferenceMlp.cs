using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>
/// A deliberately naive, double-precision re-implementation of the network's forward pass and
/// loss, written from the textbook formulas and independent of the engine's code. Tests use it
/// as the ground truth (e.g. for central-difference gradients).
/// </summary>
internal static class ReferenceMlp
{
    /// <summary>
    /// Mean (weighted) loss of the network described by <paramref name="layerSizes"/> and the flat
    /// parameter vector <paramref name="p"/> (engine layout: per layer W [out × in] row-major then b),
    /// plus the L2 term ½·l2·ΣW² divided by the same normaliser.
    /// </summary>
    /// <param name="layerSizes">Widths of all layers, input first.</param>
    /// <param name="activation">Hidden activation.</param>
    /// <param name="kind">Output kind.</param>
    /// <param name="p">Parameters in double precision.</param>
    /// <param name="x">Inputs [rows × inputs].</param>
    /// <param name="y">Targets [rows × target width].</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="l2">L2 penalty.</param>
    /// <param name="weights">Optional per-row weights.</param>
    /// <param name="minAbsHiddenPreActivation">Smallest |z| over all hidden pre-activations (to detect ReLU kinks).</param>
    public static double Loss(
        int[] layerSizes, ActivationKind activation, OutputKind kind, double[] p, float[] x, float[] y, int rows, double l2,
        float[]? weights, out double minAbsHiddenPreActivation)
    {
        int layers = layerSizes.Length - 1;
        int outputs = layerSizes[^1];
        int targetWidth = kind == OutputKind.Softmax ? 1 : outputs;
        minAbsHiddenPreActivation = double.PositiveInfinity;
        double total = 0;
        double normaliser = 0;
        for (int r = 0; r < rows; r++)
        {
            double[] a = new double[layerSizes[0]];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = x[(r * layerSizes[0]) + i];
            }

            int offset = 0;
            for (int l = 0; l < layers; l++)
            {
                int nIn = layerSizes[l];
                int nOut = layerSizes[l + 1];
                double[] z = new double[nOut];
                for (int o = 0; o < nOut; o++)
                {
                    double sum = p[offset + (nIn * nOut) + o]; // bias
                    for (int i = 0; i < nIn; i++)
                    {
                        sum += p[offset + (o * nIn) + i] * a[i];
                    }

                    z[o] = sum;
                }

                offset += (nIn * nOut) + nOut;
                if (l < layers - 1)
                {
                    for (int o = 0; o < nOut; o++)
                    {
                        minAbsHiddenPreActivation = Math.Min(minAbsHiddenPreActivation, Math.Abs(z[o]));
                        z[o] = Hidden(activation, z[o]);
                    }
                }

                a = z;
            }

            double rowLoss = 0;
            switch (kind)
            {
                case OutputKind.Sigmoid:
                    for (int j = 0; j < outputs; j++)
                    {
                        double prob = 1.0 / (1.0 + Math.Exp(-a[j]));
                        double t = y[(r * targetWidth) + j];
                        rowLoss -= (t * Math.Log(prob)) + ((1 - t) * Math.Log(1 - prob));
                    }

                    break;
                case OutputKind.Softmax:
                    double denominator = 0;
                    for (int j = 0; j < outputs; j++)
                    {
                        denominator += Math.Exp(a[j]);
                    }

                    int k = (int)y[r];
                    rowLoss = -Math.Log(Math.Exp(a[k]) / denominator);
                    break;
                default:
                    for (int j = 0; j < outputs; j++)
                    {
                        double e = a[j] - y[(r * targetWidth) + j];
                        rowLoss += 0.5 * e * e;
                    }

                    break;
            }

            double w = weights is null ? 1.0 : weights[r];
            total += w * rowLoss;
            normaliser += w;
        }

        double squares = 0;
        int off = 0;
        for (int l = 0; l < layers; l++)
        {
            int count = layerSizes[l] * layerSizes[l + 1];
            for (int i = 0; i < count; i++)
            {
                squares += p[off + i] * p[off + i];
            }

            off += count + layerSizes[l + 1];
        }

        return (total + (0.5 * l2 * squares)) / normaliser;
    }

    /// <summary>The hidden activation f(z) from its definition.</summary>
    /// <param name="activation">Which function.</param>
    /// <param name="z">Pre-activation.</param>
    public static double Hidden(ActivationKind activation, double z) => activation switch
    {
        ActivationKind.Identity => z,
        ActivationKind.Sigmoid => 1.0 / (1.0 + Math.Exp(-z)),
        ActivationKind.Tanh => Math.Tanh(z),
        ActivationKind.Relu => z > 0 ? z : 0,
        ActivationKind.LeakyRelu => z > 0 ? z : 0.01 * z,
        ActivationKind.Gelu => 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + (0.044715 * z * z * z)))),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>Central-difference gradient of <see cref="Loss"/> with step <paramref name="h"/>, all in double.</summary>
    /// <param name="layerSizes">Widths of all layers.</param>
    /// <param name="activation">Hidden activation.</param>
    /// <param name="kind">Output kind.</param>
    /// <param name="parameters">Parameters (float, converted exactly to double).</param>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Targets.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="l2">L2 penalty.</param>
    /// <param name="weights">Optional per-row weights.</param>
    /// <param name="h">Finite-difference step.</param>
    public static double[] NumericGradient(
        int[] layerSizes, ActivationKind activation, OutputKind kind, float[] parameters, float[] x, float[] y, int rows, double l2, float[]? weights, double h)
    {
        double[] p = Array.ConvertAll(parameters, v => (double)v);
        double[] gradient = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            double saved = p[i];
            p[i] = saved + h;
            double plus = Loss(layerSizes, activation, kind, p, x, y, rows, l2, weights, out _);
            p[i] = saved - h;
            double minus = Loss(layerSizes, activation, kind, p, x, y, rows, l2, weights, out _);
            p[i] = saved;
            gradient[i] = (plus - minus) / (2 * h);
        }

        return gradient;
    }
}
