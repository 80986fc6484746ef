using System.Runtime.CompilerServices;
namespace Backprop.MLNet.Engine.Kernels;

/// <summary>
/// How a broadcast product (<see cref="PanelGemmProblem"/>) is cut up: the width of its packed panels of B and
/// how many tasks it aims for (which sets the rows per task).
/// </summary>
/// <remarks>
/// Neither changes a bit: every element of C is one multiply–add chain over k = 0, 1, …, K − 1 started from
/// zero in a register (<see cref="GemmMicroKernels"/>), whichever panel, tile position or task holds it.
/// </remarks>
/// <param name="PanelColumns">Columns per panel: 2 or 4 vectors of the path.</param>
/// <param name="TargetTasks">Tasks worth aiming for; each panel is split into about TargetTasks / panels row chunks.</param>
internal readonly record struct GemmShape(int PanelColumns, int TargetTasks)
{
    /// <summary>The shape used when tuning is off (the kernels' fixed shape before the tuner).</summary>
    /// <param name="isa">The micro-kernel path.</param>
    /// <returns>The path's default.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmShape Default(KernelIsa isa) => isa switch
    {
        KernelIsa.Avx512 => new(Avx512Profile.GemmColumns, 16),
        KernelIsa.Avx2 => new(Avx2Profile.GemmColumns, 16),
        _ => new(PortableProfile.GemmColumns, 16),
    };

    /// <summary>
    /// The shapes the tuner times, the default first. Only tiles whose accumulators fit the register file are
    /// offered: 6 × 4 vectors needs 24 + 5 registers, so AVX2 and the portable path (16) keep 6 × 2.
    /// </summary>
    /// <param name="isa">The micro-kernel path.</param>
    /// <returns>The candidates.</returns>
    public static GemmShape[] Candidates(KernelIsa isa)
    {
        int width = isa switch
        {
            KernelIsa.Avx512 => Avx512Profile.VectorWidth,
            KernelIsa.Avx2 => Avx2Profile.VectorWidth,
            _ => PortableProfile.VectorWidth,
        };
        int[] panels = isa == KernelIsa.Avx512 ? [4 * width, 2 * width] : [2 * width];
        int[] targets = [16, 1, 8, 32];
        return [.. panels.SelectMany(panel => targets.Select(target => new GemmShape(panel, target)))];
    }

    /// <inheritdoc />
    public override string ToString() => $"panel {PanelColumns}, {TargetTasks} target tasks";
}

/// <summary>
/// How a dot-product forward pass (<see cref="ForwardProblem"/>) is cut up: the rows of A per tile and the
/// outputs per task.
/// </summary>
/// <remarks>
/// Neither changes a bit: each output is one dot product whose vector lanes accumulate in k order and are then
/// added by the same <see cref="IVectorOps{TVec}.Sum4"/> for the same group of 4 outputs, whatever tile height
/// (<see cref="DotMicroKernels"/>), and the outputs per task are a multiple of
/// <see cref="ForwardProblem.ActivationSegment"/>, so a generic activation still sees the same segments.
/// </remarks>
/// <param name="TileRows">Rows of A per dot tile: 2 or 4.</param>
/// <param name="OutputsPerTask">Outputs per task, a multiple of <see cref="ForwardProblem.ActivationSegment"/>.</param>
internal readonly record struct DotShape(int TileRows, int OutputsPerTask)
{
    /// <summary>The shape used when tuning is off (the kernel's fixed shape before the tuner).</summary>
    /// <param name="isa">The micro-kernel path.</param>
    /// <returns>The path's default.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DotShape Default(KernelIsa isa) => isa switch
    {
        KernelIsa.Avx512 => new(Avx512Profile.DotRows, ForwardProblem.ActivationSegment),
        KernelIsa.Avx2 => new(Avx2Profile.DotRows, ForwardProblem.ActivationSegment),
        _ => new(PortableProfile.DotRows, ForwardProblem.ActivationSegment),
    };

    /// <summary>
    /// The shapes the tuner times, the default first; 4-row tiles (16 accumulators + 5) only where 32 registers exist.
    /// </summary>
    /// <param name="isa">The micro-kernel path.</param>
    /// <returns>The candidates.</returns>
    public static DotShape[] Candidates(KernelIsa isa)
    {
        int[] rows = isa == KernelIsa.Avx512 ? [4, 2] : [2];
        int[] outputs = [8, 16, 32];
        return [.. rows.SelectMany(r => outputs.Select(o => new DotShape(r, o)))];
    }

    /// <inheritdoc />
    public override string ToString() => $"{TileRows}-row tiles, {OutputsPerTask} outputs per task";
}
