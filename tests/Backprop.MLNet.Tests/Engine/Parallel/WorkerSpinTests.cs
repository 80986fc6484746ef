using Backprop.MLNet.Engine.Parallel;

namespace Backprop.MLNet.Tests.Engine.Parallel;

/// <summary>The environment variable BACKPROP_MLNET_SPIN_MICROSECONDS: what it accepts, and how it refuses the rest.</summary>
public sealed class WorkerSpinTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void UnsetMeansTheDefaults(string? text)
    {
        Assert.Equal((null, null), WorkerSpin.Parse(text));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("50", 50)]
    [InlineData(" 250 ", 250)]
    [InlineData("1000000", 1_000_000)]
    public void AWholeNumberOfMicrosecondsInRangeIsTaken(string text, int microseconds)
    {
        Assert.Equal((microseconds, null), WorkerSpin.Parse(text));
    }

    /// <summary>Anything else is refused with a message naming the variable, the value, the range and how to get the defaults.</summary>
    [Theory]
    [InlineData("-1")]
    [InlineData("1000001")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("off")]
    [InlineData("99999999999")]
    public void AnythingElseIsRefusedNamingTheVariableTheValueAndTheRange(string text)
    {
        (int? microseconds, string? error) = WorkerSpin.Parse(text);
        Assert.Null(microseconds);
        Assert.NotNull(error);
        Assert.Contains("BACKPROP_MLNET_SPIN_MICROSECONDS", error);
        Assert.Contains($"'{text}'", error);
        Assert.Contains("from 0", error);
        Assert.Contains("1000000", error);
        Assert.Contains("Unset it", error);
    }
}
