using Backprop.MLNet.Engine;

namespace Backprop.MLNet.Training.Data;

/// <summary>
/// One side of a hold-out split of streamed rows: a row is held out when a seeded hash of its identity falls below the
/// fraction, so the same row lands on the same side in every pass, whatever order the pass reads it in.
/// </summary>
/// <param name="Seed">The split's seed.</param>
/// <param name="Fraction">The fraction held out, in (0, 1).</param>
/// <param name="HeldOut">True for the held-out side, false for the rest.</param>
internal readonly record struct RowFilter(ulong Seed, double Fraction, bool HeldOut)
{
    /// <summary>Whether the row with identity <paramref name="id"/> belongs to this side.</summary>
    public bool Keeps(ulong id) => IsHeldOut(id) == HeldOut;

    private bool IsHeldOut(ulong id) => (SeededRandom.Hash(id ^ Seed) >> 11) * (1.0 / (1UL << 53)) < Fraction;
}
