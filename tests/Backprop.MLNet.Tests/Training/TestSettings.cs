using Backprop.MLNet.MLNet;
using Backprop.MLNet.Training;

namespace Backprop.MLNet.Tests.Training;

/// <summary>Training settings for tests of the loop, made the way the trainer makes them: from the public options' defaults.</summary>
internal static class TestSettings
{
    /// <summary>The settings of a default binary classifier (one sigmoid output), seed 0, one thread; change them with <c>with</c>.</summary>
    public static TrainingSettings Default { get; } =
        EngineMapping.ToSettings(new BackpropTrainer.Options { NumberOfThreads = 1 }, BackpropTask.BinaryClassification, outputSize: 1, seed: 0);
}
