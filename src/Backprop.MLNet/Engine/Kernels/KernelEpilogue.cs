using System.Numerics;
using System.Runtime.CompilerServices;
using Backprop.MLNet.Engine.Activations;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>How a kernel finishes its output tiles: nothing, a fused ReLU, or a call to the activation object.</summary>
internal enum EpilogueMode
{
    /// <summary>No activation (identity, or the output layer).</summary>
    None,

    /// <summary>ReLU (or its derivative mask) applied inside the kernel.</summary>
    Relu,

    /// <summary>Any other activation: its <see cref="HiddenActivation"/> methods run on each finished row segment.</summary>
    Generic,
}

/// <summary>The element-wise work the kernels fuse into their tiles while the tiles are in cache.</summary>
internal static unsafe class KernelEpilogue
{
    /// <summary>Which epilogue an activation needs (null means none).</summary>
    /// <param name="activation">The hidden activation, or null.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static EpilogueMode ModeOf(HiddenActivation? activation) => activation?.Kind switch
    {
        null or ActivationKind.Identity => EpilogueMode.None,
        ActivationKind.Relu => EpilogueMode.Relu,
        _ => EpilogueMode.Generic,
    };

    /// <summary>Effectively computes <c>z[j] = f(sums[j] + bias[j])</c> for j &lt; count, with f = ReLU or identity.</summary>
    /// <param name="sums">Raw dot products.</param>
    /// <param name="bias">Biases of the same outputs.</param>
    /// <param name="z">Destination.</param>
    /// <param name="count">Number of outputs.</param>
    /// <param name="relu">True to apply max(0, ·).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BiasAndActivate(float* sums, float* bias, float* z, int count, bool relu)
    {
        for (int j = 0; j < count; j++)
        {
            float value = sums[j] + bias[j];
            z[j] = relu ? MathF.Max(value, 0f) : value;
        }
    }

    /// <summary>
    /// Effectively computes <c>z[j] = f(z[j] + bias[j])</c> in place for j &lt; count, with f = ReLU or identity: the same
    /// values as <see cref="BiasAndActivate"/> (one addition, then max(·, 0) with NaN kept), in vectors.
    /// </summary>
    /// <param name="z">Raw sums, finished in place.</param>
    /// <param name="bias">Biases of the same outputs.</param>
    /// <param name="count">Number of outputs.</param>
    /// <param name="relu">True to apply max(0, ·).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddBiasAndActivate(float* z, float* bias, int count, bool relu)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; j <= count - Vector<float>.Count; j += Vector<float>.Count)
            {
                Vector<float> value = Vector.Load(z + j) + Vector.Load(bias + j);
                Vector.Store(relu ? Vector.Max(value, Vector<float>.Zero) : value, z + j);
            }
        }

        BiasAndActivate(z + j, bias + j, z + j, count - j, relu);
    }

    /// <summary>Sets <c>g[j] = 0</c> wherever <c>activated[j]</c> is not positive (ReLU′ from its output, f′(0) = 0).</summary>
    /// <param name="activated">ReLU outputs.</param>
    /// <param name="g">Errors, masked in place.</param>
    /// <param name="count">Number of elements.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluMask(float* activated, float* g, int count)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; j <= count - Vector<float>.Count; j += Vector<float>.Count)
            {
                Vector<float> a = Vector.Load(activated + j);
                Vector.Store(Vector.ConditionalSelect(Vector.GreaterThan(a, Vector<float>.Zero), Vector.Load(g + j), Vector<float>.Zero), g + j);
            }
        }

        for (; j < count; j++)
        {
            if (!(activated[j] > 0f))
            {
                g[j] = 0f;
            }
        }
    }
}
