namespace Backprop.MLNet.Training;

/// <summary>How the training loop optimises: minibatch steps of an engine optimizer, or full-batch L-BFGS.</summary>
internal enum SolverKind
{
    /// <summary>Minibatch SGD with momentum.</summary>
    Sgd,

    /// <summary>Minibatch Adam.</summary>
    Adam,

    /// <summary>Full-batch L-BFGS.</summary>
    Lbfgs,
}
