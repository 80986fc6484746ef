namespace Backprop.MLNet.Tests;

/// <summary>
/// The bytes a piece of code allocates on the calling thread, in the quietest of several windows. The runtime's counter
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>) now and then counts a one-off allocation the code did not make
/// (the tiered JIT, the test host: seen here about once in 25 runs of the suite, and in the runtime's own tests of the
/// counter); an allocation the code makes on every call shows in every window, so the quietest still catches it.
/// </summary>
internal static class ThreadAllocations
{
    /// <summary>The fewest bytes <paramref name="window"/> allocated on this thread in up to <paramref name="windows"/> runs (stops at 0).</summary>
    /// <param name="window">The code to measure, already warmed up.</param>
    /// <param name="windows">Runs at most.</param>
    /// <returns>The fewest bytes.</returns>
    public static long Quietest(Action window, int windows = 3)
    {
        long quietest = long.MaxValue;
        for (int i = 0; i < windows && quietest > 0; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            window();
            quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return quietest;
    }
}

/// <summary>The measure itself: it sees an allocation made in every window, and none where none is made.</summary>
public sealed class ThreadAllocationsTests
{
    private static object? s_kept;

    [Fact]
    public void SeesAnAllocationMadeInEveryWindowAndNoneWhereNoneIsMade()
    {
        Assert.True(ThreadAllocations.Quietest(() => s_kept = new byte[1000]) >= 1000);
        int sum = 0;
        Assert.Equal(0, ThreadAllocations.Quietest(() => sum += 1));
        Assert.Equal(1, sum); // stopped at the first window without an allocation
        Assert.NotNull(s_kept);
    }
}
