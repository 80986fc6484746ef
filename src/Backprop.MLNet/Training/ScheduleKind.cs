namespace Backprop.MLNet.Training;

/// <summary>How <see cref="LearningRateController"/> changes the SGD learning rate between epochs.</summary>
internal enum ScheduleKind
{
    /// <summary>The initial rate throughout.</summary>
    Constant,

    /// <summary>η₀ / (t + 1)^power_t, t the rows seen.</summary>
    InverseScaling,

    /// <summary>Divided by 5 whenever the criterion stalls.</summary>
    Adaptive,
}
