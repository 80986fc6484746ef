namespace Backprop.MLNet.Engine;

/// <summary>
/// The pages of a few large arrays to be written once before their first real use, cut into chunks that any number of
/// threads take in turn: a thread that has the time takes the next chunk, and one that needs the arrays ready helps with
/// the chunks left instead of waiting for the others.
/// </summary>
/// <remarks>
/// <para>On this project's virtual machines a page the process has never written costs its first writer ~2 ms a MiB (the
/// host backs the guest's memory as it is first used, 4 KiB at a time), so a 10-million-parameter network's gradient and
/// Adam's two moments (120 MB) cost the first epoch ~0.3 s; two threads writing at once get nearly twice the rate.</para>
/// <para>Each page is touched by one atomic compare-and-exchange of an element with itself, which counts as a write to
/// the page and never changes a value, even while another thread writes the same array. (<c>madvise(MADV_POPULATE_WRITE)</c>
/// maps a range in one call, but holds the process's memory-map lock for all of it, and stalled the reading pass's
/// allocations on the other core: reading took 0.6 s instead of 0.2.) Arrays under <see cref="LargeArrays.MinimumBytes"/>
/// are left out.</para>
/// </remarks>
internal sealed class PagePopulation
{
    /// <summary>Elements per chunk: 4 MiB of floats (two huge pages), ~8 ms of the host's work on this project's machines.</summary>
    internal const int ChunkElements = 1 << 20;

    /// <summary>Floats per 4 KiB page, the smallest page of x64 and Arm64.</summary>
    private const int PageElements = 4096 / sizeof(float);

    private readonly List<(float[] Array, long Start, long Length)> _chunks = [];
    private int _next = -1;
    private int _done;

    /// <summary>Lists the chunks of <paramref name="arrays"/>, in the order given.</summary>
    /// <param name="arrays">The arrays whose pages to map (null entries and small arrays are skipped).</param>
    public PagePopulation(params IEnumerable<float[]?> arrays)
    {
        foreach (float[]? array in arrays)
        {
            if (array is null || (long)array.Length * sizeof(float) < LargeArrays.MinimumBytes)
            {
                continue;
            }

            for (long start = 0; start < array.Length; start += ChunkElements)
            {
                _chunks.Add((array, start, Math.Min(ChunkElements, array.Length - start)));
            }
        }
    }

    /// <summary>The number of chunks.</summary>
    public int Chunks => _chunks.Count;

    /// <summary>Chunks whose pages were touched (for tests).</summary>
    public int Done => Volatile.Read(ref _done);

    /// <summary>Takes the next chunk no thread has taken and writes each of its pages once, changing no value.</summary>
    /// <returns>False when every chunk was already taken.</returns>
    public bool RunOne()
    {
        int index = Interlocked.Increment(ref _next);
        if (index >= _chunks.Count)
        {
            return false;
        }

        (float[] array, long start, long length) = _chunks[index];
        for (long i = start; i < start + length; i += PageElements)
        {
            ref float element = ref array[i];
            float value = Volatile.Read(ref element);
            Interlocked.CompareExchange(ref element, value, value);
        }

        Interlocked.Increment(ref _done);
        return true;
    }

    /// <summary>Takes chunks until none is left, or until <paramref name="stop"/> says so.</summary>
    /// <param name="stop">Asked before each chunk; null to run to the end.</param>
    public void Run(Func<bool>? stop = null)
    {
        while (stop?.Invoke() != true && RunOne())
        {
        }
    }
}
