namespace Backprop.MLNet;

/// <summary>
/// The optimisation algorithm used to fit the weights
/// (scikit-learn's <c>solver</c> parameter of <c>MLPClassifier</c>/<c>MLPRegressor</c>).
/// </summary>
public enum Solver
{
    /// <summary>
    /// Minibatch stochastic gradient descent with optional (Nesterov) momentum and a
    /// <see cref="LearningRateSchedule"/>. scikit-learn: <c>'sgd'</c>.
    /// </summary>
    Sgd = 0,

    /// <summary>
    /// Adam (Kingma and Ba, 2014), a stochastic gradient method with per-parameter adaptive
    /// step sizes; the <see cref="LearningRateSchedule"/> is ignored. scikit-learn: <c>'adam'</c> (its default).
    /// </summary>
    Adam = 1,

    /// <summary>
    /// Limited-memory BFGS, a full-batch quasi-Newton method with a strong-Wolfe line search, for small data sets
    /// (every iteration sees all rows). scikit-learn: <c>'lbfgs'</c>.
    /// </summary>
    Lbfgs = 2,
}
