using System.Runtime.CompilerServices;

namespace Backprop.MLNet.Engine;

/// <summary>
/// A small deterministic pseudo-random generator: xoshiro256** (Blackman and Vigna) whose
/// 256-bit state is expanded from the 32-bit seed with SplitMix64. It is implemented here rather
/// than using <see cref="Random"/> so that the sequence for a given seed is fixed by this code
/// alone and can never change with the .NET runtime version; the same seed therefore always gives
/// the same initial weights and the same shuffles.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    /// <param name="seed">Any integer; negative values are fine.</param>
    public SeededRandom(int seed)
    {
        ulong x = unchecked((ulong)(long)seed);
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Creates a generator whose whole sequence is determined by a 64-bit seed (e.g. one drawn from another generator).</summary>
    /// <param name="seed">Any 64-bit value.</param>
    public static SeededRandom FromSeed(ulong seed)
    {
        var random = new SeededRandom(0);
        ulong x = seed;
        random._s0 = SplitMix64(ref x);
        random._s1 = SplitMix64(ref x);
        random._s2 = SplitMix64(ref x);
        random._s3 = SplitMix64(ref x);
        return random;
    }

    /// <summary>A well-mixed 64-bit hash of <paramref name="value"/> (one SplitMix64 step): equal inputs give equal outputs.</summary>
    /// <param name="value">The value to hash.</param>
    public static ulong Hash(ulong value) => SplitMix64(ref value);

    /// <summary>The generator's 256-bit state, so that a saved training can continue the same sequence.</summary>
    /// <returns>Four words; <see cref="SetState"/> restores them.</returns>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    /// <summary>Restores a state returned by <see cref="GetState"/>.</summary>
    /// <param name="state">Four words, not all zero (the all-zero state is a fixed point of xoshiro256**).</param>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4 || (state[0] | state[1] | state[2] | state[3]) == 0)
        {
            throw new ArgumentException("A xoshiro256** state is four words, not all zero.", nameof(state));
        }

        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    /// <summary>Returns the next 64 uniformly distributed random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ulong NextUInt64()
    {
        ulong result = unchecked(RotateLeft(_s1 * 5, 7) * 9);
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Returns a uniformly distributed double in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns a uniformly distributed double in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <param name="low">Inclusive lower end.</param>
    /// <param name="high">Exclusive upper end.</param>
    public double NextUniform(double low, double high) => low + ((high - low) * NextDouble());

    /// <summary>
    /// Returns an unbiased uniformly distributed integer in [0, <paramref name="exclusiveMax"/>)
    /// (Lemire's multiply-and-reject method).
    /// </summary>
    /// <param name="exclusiveMax">The exclusive upper bound; must be positive.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int NextInt(int exclusiveMax)
    {
        if (exclusiveMax <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(exclusiveMax), exclusiveMax, "The bound must be positive.");
        }

        uint bound = (uint)exclusiveMax;
        ulong product = unchecked((NextUInt64() >> 32) * bound);
        uint low = (uint)product;
        if (low < bound)
        {
            uint threshold = unchecked(0u - bound) % bound;
            while (low < threshold)
            {
                product = unchecked((NextUInt64() >> 32) * bound);
                low = (uint)product;
            }
        }

        return (int)(product >> 32);
    }

    /// <summary>Shuffles <paramref name="values"/> in place with the Fisher–Yates algorithm.</summary>
    /// <param name="values">The values to permute.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> where <see cref="NextDouble"/> would be below <paramref name="probability"/> and 0
    /// elsewhere, one draw per element in order: the values, and the generator's state after, that a loop of
    /// <see cref="NextDouble"/> gives, about three times as fast (the state held in registers, an integer compare and
    /// no branch). Dropout's masks are drawn this way.
    /// </summary>
    /// <param name="values">The destination.</param>
    /// <param name="probability">The probability of <paramref name="value"/>, a float's worth of precision (as dropout's keep rate is).</param>
    /// <param name="value">The value written with that probability.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FillBernoulli(Span<float> values, float probability, float value)
    {
        // NextDouble() = (x >> 11)·2⁻⁵³ exactly, so NextDouble() < p ⇔ (x >> 11) < p·2⁵³, and for the integer on the left
        // ⇔ (x >> 11) < ⌈p·2⁵³⌉. A float p times 2⁵³ is exact in double; both sides stay below 2⁶³, so the difference's
        // sign bit is the comparison.
        double scaled = (probability > 0 ? Math.Min(probability, 1) : 0) * (double)(1UL << 53); // NaN: never, as NextDouble() < NaN
        long threshold = (long)Math.Ceiling(scaled);
        uint bits = BitConverter.SingleToUInt32Bits(value);
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        for (int i = 0; i < values.Length; i++)
        {
            // NextUInt64's step, written out on locals: the fields' loads and stores per draw were most of the cost.
            ulong result = unchecked(RotateLeft(s1 * 5, 7) * 9);
            ulong t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = RotateLeft(s3, 45);
            uint below = (uint)(((long)(result >> 11) - threshold) >> 63); // all ones when below the threshold
            values[i] = BitConverter.UInt32BitsToSingle(bits & below);
        }

        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>One step of SplitMix64: expands seeds into the generator state, and hashes.</summary>
    private static ulong SplitMix64(ref ulong x)
    {
        unchecked
        {
            x += 0x9E3779B97F4A7C15UL;
            ulong z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Rotates <paramref name="x"/> left by <paramref name="k"/> bits.</summary>
    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
