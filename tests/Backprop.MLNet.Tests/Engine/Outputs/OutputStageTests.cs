using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Outputs;
using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Tests.Engine.Outputs;

/// <summary>
/// The training pass's output stage over the kernel pool (<see cref="OutputStage"/>) gives every row the outputs, error and
/// loss the plain sequential computation gives (the whole batch activated, then each row's loss), bit for bit, on 1 and 2
/// threads, for each output layer.
/// </summary>
public class OutputStageTests
{
    [Theory]
    [InlineData((int)OutputKind.Softmax, 10)]
    [InlineData((int)OutputKind.Sigmoid, 3)]
    [InlineData((int)OutputKind.Identity, 2)]
    public void MatchesTheSequentialComputation(int kindCode, int width)
    {
        var kind = (OutputKind)kindCode;
        const int rows = 200;
        OutputLayer output = OutputLayer.For(kind);
        int targetWidth = output.TargetWidth(width);
        var random = new SeededRandom(4);
        float[] logits = TestData.Uniform(random, rows * width);
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] *= 20f;
        }

        var targets = new float[rows * targetWidth];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = kind == OutputKind.Softmax ? i % width : kind == OutputKind.Sigmoid ? i % 2 : (float)random.NextDouble();
        }

        // The sequential reference.
        var expectedOutputs = new float[rows * width];
        var expectedDelta = new float[rows * width];
        var expectedLoss = new double[rows];
        output.ActivateInTraining(logits, expectedOutputs, width);
        for (int r = 0; r < rows; r++)
        {
            expectedLoss[r] = output.RowLossAndDelta(logits.AsSpan(r * width, width), expectedOutputs.AsSpan(r * width, width),
                targets.AsSpan(r * targetWidth, targetWidth), expectedDelta.AsSpan(r * width, width));
        }

        foreach (int threads in new[] { 1, 2 })
        {
            // Outputs the stage does not compute itself come from the whole batch, as BackpropWorkspace does.
            var outputs = new float[rows * width];
            if (!output.ActivatesRowByRow)
            {
                output.ActivateInTraining(logits, outputs, width);
            }

            var delta = new float[rows * width];
            var loss = new double[rows];
            Assert.True(OutputStage.WorkOf(rows, width) >= KernelRunner.MinimumParallelWork, "the stage should be split over threads");
            OutputStage.Run(output, logits, outputs, targets, delta, loss, rows, width, targetWidth, output.ActivatesRowByRow, threads);

            Assert.Equal(expectedOutputs.Select(BitConverter.SingleToInt32Bits), outputs.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expectedDelta.Select(BitConverter.SingleToInt32Bits), delta.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expectedLoss.Select(BitConverter.DoubleToInt64Bits), loss.Select(BitConverter.DoubleToInt64Bits));
        }
    }
}
