using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine.Inference;

/// <summary>Where the sparse one-row kernel reads the value of its j-th listed input (each choice compiles its own kernel).</summary>
internal unsafe interface IValueSource
{
    /// <summary>The value of listed input <paramref name="j"/>.</summary>
    static abstract float Value(float* values, int* indices, int j);
}

/// <summary>Values listed beside their indices (a CSR row).</summary>
internal readonly unsafe struct Listed : IValueSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Value(float* values, int* indices, int j) => values[j];
}

/// <summary>Values read from the dense row at the listed indices (one dense row alone: only its non-zero inputs are listed).</summary>
internal readonly unsafe struct Gathered : IValueSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Value(float* values, int* indices, int j) => values[indices[j]];
}
