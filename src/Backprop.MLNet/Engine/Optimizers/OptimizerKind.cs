namespace Backprop.MLNet.Engine.Optimizers;

/// <summary>The first-order optimizers of the engine. The values are the codes model files store for optimizer state.</summary>
internal enum OptimizerKind
{
    /// <summary>SGD with momentum (<see cref="SgdOptimizer"/>).</summary>
    Sgd = 0,

    /// <summary>Adam (<see cref="AdamOptimizer"/>).</summary>
    Adam = 1,
}
