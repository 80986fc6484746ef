using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Outputs;

namespace Backprop.MLNet.Tests.Engine;

/// <summary>Small seeded random inputs and targets for the tests.</summary>
internal static class TestData
{
    /// <summary>rows × width values uniform in [−scale, scale).</summary>
    /// <param name="random">Generator.</param>
    /// <param name="count">Number of values.</param>
    /// <param name="scale">Half-width of the range.</param>
    public static float[] Uniform(SeededRandom random, int count, double scale = 1.0)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)random.NextUniform(-scale, scale);
        }

        return values;
    }

    /// <summary>Valid targets for <paramref name="kind"/>: 0/1 per output, a class index, or real values.</summary>
    /// <param name="random">Generator.</param>
    /// <param name="kind">Output kind.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="outputs">Number of outputs.</param>
    public static float[] Targets(SeededRandom random, OutputKind kind, int rows, int outputs)
    {
        switch (kind)
        {
            case OutputKind.Sigmoid:
                var bits = new float[rows * outputs];
                for (int i = 0; i < bits.Length; i++)
                {
                    bits[i] = random.NextInt(2);
                }

                return bits;
            case OutputKind.Softmax:
                var classes = new float[rows];
                for (int i = 0; i < rows; i++)
                {
                    classes[i] = random.NextInt(outputs);
                }

                return classes;
            default:
                return Uniform(random, rows * outputs, 2.0);
        }
    }
}
