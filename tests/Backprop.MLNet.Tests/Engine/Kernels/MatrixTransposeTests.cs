using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Tests.Engine.Kernels;

/// <summary>The transposing copy against the definition, on sizes around its 8 × 8 blocks.</summary>
public class MatrixTransposeTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 9)]
    [InlineData(8, 8)]
    [InlineData(16, 24)]
    [InlineData(17, 33)]
    [InlineData(100, 100)]
    [InlineData(128, 256)]
    [InlineData(3, 70)]
    public void TransposesEveryElement(int rows, int columns)
    {
        float[] source = TestData.Uniform(new SeededRandom(rows * 1000 + columns), rows * columns);
        float[] transposed = new float[rows * columns];
        Array.Fill(transposed, float.NaN); // every element must be written
        MatrixTranspose.Transpose(source, rows, columns, transposed);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(source[(r * columns) + c]), BitConverter.SingleToInt32Bits(transposed[(c * rows) + r]));
            }
        }
    }
}
