using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Inference;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>Shorthands the tests use to build and run networks (the library itself needs none of them).</summary>
internal static class NetworkTestExtensions
{
    extension(Network network)
    {
        /// <summary>A network with Glorot-initialised parameters drawn from a generator seeded with <paramref name="seed"/>.</summary>
        public static Network CreateInitialized(
            int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize, ActivationKind activation, OutputKind outputKind, int seed)
        {
            var created = new Network(inputSize, hiddenSizes, outputSize, activation, outputKind);
            created.InitializeGlorot(seed);
            return created;
        }

        /// <summary>Overwrites the parameters with Glorot draws from a generator seeded with <paramref name="seed"/>.</summary>
        public void InitializeGlorot(int seed) => network.InitializeGlorot(new SeededRandom(seed));

        /// <summary>Runs the forward pass and copies the outputs to <paramref name="output"/>.</summary>
        public void Predict(ReadOnlySpan<float> x, int rows, Span<float> output, InferenceScratch scratch) =>
            network.Forward(x, rows, scratch).CopyTo(output);
    }
}
