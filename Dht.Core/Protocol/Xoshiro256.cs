namespace Dht.Protocol;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64. Written here so a seed replays the same
/// sequence on every SDK version. Not cryptographic: used for transaction ids, nonces' uniqueness,
/// jitter and random choices inside the deterministic engine.
/// </summary>
internal sealed class Xoshiro256
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public Xoshiro256(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, maxExclusive) without modulo bias (Lemire's method).</summary>
    public ulong NextUInt64(ulong maxExclusive)
    {
        if (maxExclusive == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), "Must be positive.");
        }

        var threshold = (0 - maxExclusive) % maxExclusive;
        while (true)
        {
            var r = NextUInt64();
            var product = Math.BigMul(r, maxExclusive, out var low);
            if (low >= threshold)
            {
                return product;
            }
        }
    }

    public int NextInt32(int maxExclusive) => (int)NextUInt64((ulong)maxExclusive);

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public void NextBytes(Span<byte> destination)
    {
        while (destination.Length >= 8)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(destination, NextUInt64());
            destination = destination[8..];
        }

        if (destination.Length > 0)
        {
            var last = NextUInt64();
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = (byte)(last >> (8 * i));
            }
        }
    }

    public NodeId NextNodeId() => new(NextUInt64(), NextUInt64(), NextUInt64(), NextUInt64());

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
