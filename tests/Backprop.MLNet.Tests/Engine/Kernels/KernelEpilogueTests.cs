using System.Runtime.InteropServices;
using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.Engine.Kernels;

namespace Backprop.MLNet.Tests.Engine.Kernels;

/// <summary>The vector epilogue of the broadcast forward tiles finishes each output as the dot-product tiles' scalar one does.</summary>
public class KernelEpilogueTests
{
    /// <summary>
    /// With one input both forward kernels sum exactly (a·w plus zeros), so their outputs differ only if their epilogues do:
    /// f(z + b) with f = ReLU or identity must match bit for bit on every width around the vector sizes and on the values
    /// where a maximum can go wrong (NaN kept, −0, infinities, subnormals), on every path this machine runs.
    /// </summary>
    [Theory]
    [MemberData(nameof(KernelDeterminismTests.Paths), MemberType = typeof(KernelDeterminismTests))]
    public void TheBroadcastEpilogueEqualsTheDotProductOne(int isaCode)
    {
        float[] special = [float.NaN, -0f, 0f, float.PositiveInfinity, float.NegativeInfinity, 1e-45f, -1e-45f, float.MaxValue, -float.MaxValue, 1f, -1f];
        float[] random = TestData.Uniform(new SeededRandom(5), 400);
        const int Rows = 7;
        float[] a = [.. Enumerable.Range(0, Rows).Select(r => r % 2 == 0 ? 1f : -0.5f)];
        using (KernelPath.Force((KernelIsa)isaCode))
        {
            for (int outputs = 1; outputs <= 70; outputs++)
            {
                float[] w = [.. Enumerable.Range(0, outputs).Select(j => j % 3 == 0 ? special[j / 3 % special.Length] : random[j])];
                float[] bias = [.. Enumerable.Range(0, outputs).Select(j => j % 5 == 1 ? special[(j / 5) % special.Length] : random[200 + j])];
                foreach (HiddenActivation? f in new HiddenActivation?[] { null, ReluActivation.Instance })
                {
                    float[] dot = new float[Rows * outputs], panels = new float[Rows * outputs];
                    DenseForwardKernel.Compute(a, Rows, 1, w, bias, outputs, dot, f, threads: 1);
                    DenseForwardKernel.ComputeTransposed(a, Rows, 1, w, bias, outputs, panels, f, threads: 1);
                    Assert.True(
                        MemoryMarshal.Cast<float, int>(dot).SequenceEqual(MemoryMarshal.Cast<float, int>(panels)),
                        $"{(KernelIsa)isaCode}, {outputs} outputs, {f?.Kind.ToString() ?? "no activation"}: {string.Join(" ", dot)} against {string.Join(" ", panels)}");
                }
            }
        }
    }
}
