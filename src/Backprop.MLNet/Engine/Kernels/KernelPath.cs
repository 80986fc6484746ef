using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.MLNet.Engine.Kernels;

/// <summary>The instruction sets the matrix kernels have a register-blocked micro-kernel for.</summary>
internal enum KernelIsa
{
    /// <summary><see cref="Vector128{T}"/> code: runs everywhere (SSE, Arm AdvSimd, or software fallback).</summary>
    Portable,

    /// <summary>256-bit AVX2 with fused multiply-add.</summary>
    Avx2,

    /// <summary>512-bit AVX-512F.</summary>
    Avx512,
}

/// <summary>
/// Chooses the micro-kernel instruction set at run time (the widest the processor accelerates) and
/// lets tests force a narrower one with <see cref="Force"/>. The choice is made on the calling thread
/// when a kernel starts and travels with the work, so worker threads always use the caller's path.
/// </summary>
/// <remarks>
/// Results are bit-identical for any thread count and any batch size within one path, but differ
/// in the last bits between paths (different vector widths give different summation orders).
/// </remarks>
internal static class KernelPath
{
    /// <summary>The path forced on this thread, or null for automatic.</summary>
    [ThreadStatic]
    private static KernelIsa? t_forced;

    /// <summary>The widest instruction set this processor runs fast.</summary>
    public static KernelIsa Detected { get; } = Detect();

    /// <summary>The path kernels started on this thread use: the forced one, else <see cref="Detected"/>.</summary>
    public static KernelIsa Current
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get => t_forced ?? Detected;
    }

    /// <summary>True when <paramref name="isa"/> can run on this processor.</summary>
    /// <param name="isa">The instruction set to check.</param>
    public static bool IsSupported(KernelIsa isa) => isa switch
    {
        KernelIsa.Portable => true,
        KernelIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        KernelIsa.Avx512 => Avx512F.IsSupported,
        _ => false,
    };

    /// <summary>
    /// Makes kernels started on the calling thread use <paramref name="isa"/> until the returned scope
    /// is disposed (for tests: every path is exercised on one machine).
    /// </summary>
    /// <param name="isa">The instruction set to force; must be supported.</param>
    /// <returns>A scope that restores the previous choice when disposed.</returns>
    /// <exception cref="NotSupportedException">The processor cannot run <paramref name="isa"/>.</exception>
    public static ForcedScope Force(KernelIsa isa)
    {
        if (!IsSupported(isa))
        {
            throw new NotSupportedException($"This processor cannot run the {isa} kernels.");
        }

        KernelIsa? previous = t_forced;
        t_forced = isa;
        return new ForcedScope(previous);
    }

    /// <summary>Picks the widest accelerated instruction set.</summary>
    private static KernelIsa Detect()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            return KernelIsa.Avx512;
        }

        return Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? KernelIsa.Avx2 : KernelIsa.Portable;
    }

    /// <summary>Restores the previously forced path (or automatic choice) when disposed.</summary>
    /// <param name="previous">The choice to restore.</param>
    internal readonly struct ForcedScope(KernelIsa? previous) : IDisposable
    {
        /// <summary>Restores the previous choice.</summary>
        public void Dispose() => t_forced = previous;
    }
}
