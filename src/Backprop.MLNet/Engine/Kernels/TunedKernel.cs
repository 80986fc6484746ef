namespace Backprop.MLNet.Engine.Kernels;

/// <summary>The kernels whose shapes <see cref="KernelTuner"/> chooses (each remembered separately).</summary>
internal enum TunedKernel
{
    /// <summary><see cref="DenseForwardKernel"/>: Z = f(A·Wᵀ + b), dot-product tiles.</summary>
    Forward,

    /// <summary><see cref="WeightGradientKernel"/>: ∂W = Δᵀ·A, broadcast tiles reading Δ transposed.</summary>
    WeightGradient,

    /// <summary><see cref="DenseForwardKernel.ComputeTransposed"/>: Z = f(A·Wᵀ + b) over Wᵀ held [inputs × outputs], broadcast tiles.</summary>
    ForwardPanels,

    /// <summary><see cref="InputGradientKernel"/>: G = Δ·W ⊙ f′, broadcast tiles reading Δ by rows.</summary>
    InputGradient,
}
