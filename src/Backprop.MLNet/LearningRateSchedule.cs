namespace Backprop.MLNet;

/// <summary>
/// How the learning rate of the <see cref="Solver.Sgd"/> solver evolves during training
/// (scikit-learn's <c>learning_rate</c> parameter). Ignored by <see cref="Solver.Adam"/>.
/// </summary>
public enum LearningRateSchedule
{
    /// <summary>The learning rate stays at its initial value. scikit-learn: <c>'constant'</c>.</summary>
    Constant = 0,

    /// <summary>
    /// After every epoch the learning rate becomes lr₀ / (t + 1)^power_t, where t is the number
    /// of training samples seen so far. scikit-learn: <c>'invscaling'</c>.
    /// </summary>
    InverseScaling = 1,

    /// <summary>
    /// The learning rate stays constant while the training loss keeps improving; each time the
    /// no-improvement rule fires it is divided by 5 instead of stopping, and training stops once
    /// it has fallen to 1e-6 or below. scikit-learn: <c>'adaptive'</c>.
    /// </summary>
    Adaptive = 2,
}
