using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.MLNet.Engine.Activations;

/// <summary>
/// The leaky rectified linear unit: f(z) = z for z &gt; 0 and <see cref="Slope"/>·z otherwise; f′ = 1 where a &gt; 0 and
/// <see cref="Slope"/> elsewhere (a &gt; 0 exactly when z &gt; 0, so f′ is read off the activation). Not in scikit-learn;
/// PyTorch's <c>LeakyReLU()</c> with its default slope 0.01.
/// </summary>
internal sealed class LeakyReluActivation : HiddenActivation
{
    /// <summary>The slope for negative inputs.</summary>
    public const float Slope = 0.01f;

    /// <summary>The shared instance.</summary>
    public static readonly LeakyReluActivation Instance = new();

    /// <summary>Use <see cref="Instance"/>.</summary>
    private LeakyReluActivation()
    {
    }

    /// <inheritdoc />
    public override ActivationKind Kind => ActivationKind.LeakyRelu;

    /// <inheritdoc />
    /// <remarks>
    /// z where z &gt; 0, else slope·z: the bits of max(z, slope·z) (scikit-learn's form, and this library's before it was
    /// vectorised) for every z, ±0, ±∞ and NaN included, since slope·z lies between z and 0 for every negative z. Sixteen or
    /// eight values at a time with a compare and a blend, no branch.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Apply(Span<float> values)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= values.Length; i += 16)
            {
                Vector512<float> z = Vector512.LoadUnsafe(ref v, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, z * Vector512.Create(Slope)).StoreUnsafe(ref v, (nuint)i);
            }
        }

        for (; i + 8 <= values.Length; i += 8)
        {
            Vector256<float> z = Vector256.LoadUnsafe(ref v, (nuint)i);
            Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), z, z * Vector256.Create(Slope)).StoreUnsafe(ref v, (nuint)i);
        }

        for (; i < values.Length; i++)
        {
            float z = values[i];
            values[i] = z > 0f ? z : Slope * z;
        }
    }

    /// <inheritdoc />
    /// <remarks>Multiplies by the slope where a ≤ 0 or NaN, leaves δ where a &gt; 0: a blend, not a branch per value (which
    /// the processor mispredicts about as often as the signs change).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MultiplyByDerivative(ReadOnlySpan<float> activated, Span<float> delta)
    {
        CheckSameLength(activated, delta);
        ref float a = ref MemoryMarshal.GetReference(activated);
        ref float d = ref MemoryMarshal.GetReference(delta);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= delta.Length; i += 16)
            {
                Vector512<float> g = Vector512.LoadUnsafe(ref d, (nuint)i);
                Vector512<float> positive = Vector512.GreaterThan(Vector512.LoadUnsafe(ref a, (nuint)i), Vector512<float>.Zero);
                Vector512.ConditionalSelect(positive, g, g * Vector512.Create(Slope)).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i + 8 <= delta.Length; i += 8)
        {
            Vector256<float> g = Vector256.LoadUnsafe(ref d, (nuint)i);
            Vector256<float> positive = Vector256.GreaterThan(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256<float>.Zero);
            Vector256.ConditionalSelect(positive, g, g * Vector256.Create(Slope)).StoreUnsafe(ref d, (nuint)i);
        }

        for (; i < delta.Length; i++)
        {
            if (!(activated[i] > 0f))
            {
                delta[i] *= Slope;
            }
        }
    }
}
