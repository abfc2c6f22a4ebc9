namespace Dht.Protocol;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64. Written here so a seed replays the same
/// sequence on every SDK version. Not cryptographic: used for transaction ids, nonces' uniqueness,
/// jitter and random choices inside the deterministic engine. This is the generator as an object, for holders that
/// share it or keep it in a field; <see cref="Xoshiro256State"/> is the same generator as a value.
/// </summary>
internal sealed class Xoshiro256
{
    private Xoshiro256State _state;

    public Xoshiro256(ulong seed) => _state = new Xoshiro256State(seed);

    /// <summary>The generator's state, by reference, for methods that take a <see cref="Xoshiro256State"/>.</summary>
    public ref Xoshiro256State State => ref _state;

    public ulong NextUInt64() => _state.NextUInt64();

    /// <summary>Uniform integer in [0, maxExclusive) without modulo bias (Lemire's method).</summary>
    public ulong NextUInt64(ulong maxExclusive) => _state.NextUInt64(maxExclusive);

    public int NextInt32(int maxExclusive) => _state.NextInt32(maxExclusive);

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => _state.NextDouble();

    public void NextBytes(Span<byte> destination) => _state.NextBytes(destination);

    public NodeId NextNodeId() => _state.NextNodeId();
}

/// <summary>
/// The state and steps of <see cref="Xoshiro256"/> as a value: the engine holds its generator inline (it draws a nonce
/// for every datagram it sends, and as an object of its own the generator was one more cache miss per event at 10^5
/// simulated engines). A copy continues the same sequence independently, so it must never be taken by accident: pass
/// it by <c>ref</c>.
/// </summary>
internal struct Xoshiro256State
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public Xoshiro256State(ulong seed)
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
