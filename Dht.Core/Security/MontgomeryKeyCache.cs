namespace Dht.Security;

/// <summary>
/// Peers' identity keys already converted to X25519 (<see cref="Curve25519Conversion.TryEdwardsToMontgomery"/>), so a
/// session derived again with a peer (after its session was evicted or expired idle) skips the conversion: libsodium
/// checks that the point is canonical, on the curve and in the prime-order subgroup, a scalar multiplication of its own,
/// which made the conversion cost more than the X25519 agreement it feeds (a profile of the simulator with real crypto:
/// 50% of the event loop against 28%). Only public values are held: a key's conversion, computed the same way by anyone.
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="Capacity"/> keys, the oldest replaced first once full. Only keys that convert are kept,
/// so ids that are not valid points cannot push valid ones out faster than new valid ids can. Arrays grow by doubling up
/// to the capacity. Not thread-safe: each <see cref="DhtNode"/> has its own cache, used from its engine's thread; the
/// simulator shares one among all its engines, on its single thread, so each node's key is converted once per run.
/// </remarks>
internal sealed class MontgomeryKeyCache
{
    /// <summary>Keys a node's own cache holds: about the contacts of a well-filled routing table (about 64 KB).</summary>
    public const int DefaultCapacity = 1024;

    private readonly Dictionary<NodeId, int> _index = [];
    private NodeId[] _keys = [];
    private byte[] _values = [];
    private int _next;

    /// <param name="capacity">Keys held at most, 1 or more.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public MontgomeryKeyCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Keys held at most.</summary>
    public int Capacity { get; }

    /// <summary>Keys held.</summary>
    public int Count => _index.Count;

    /// <summary>Conversions computed (lookups the cache could not answer), for tests and diagnostics.</summary>
    public long Conversions { get; private set; }

    /// <summary>
    /// Writes the X25519 form of <paramref name="edwards"/> into <paramref name="montgomery"/> (32 bytes), from the cache
    /// or converted and cached; false, with nothing cached, when the key is not a valid prime-order point.
    /// </summary>
    public bool TryConvert(NodeId edwards, Span<byte> montgomery)
    {
        if (_index.TryGetValue(edwards, out var slot))
        {
            _values.AsSpan(slot * 32, 32).CopyTo(montgomery);
            return true;
        }

        Conversions++;
        Span<byte> key = stackalloc byte[32];
        edwards.WriteTo(key);
        if (!Curve25519Conversion.TryEdwardsToMontgomery(key, montgomery))
        {
            return false;
        }

        if (_index.Count < Capacity)
        {
            slot = _index.Count;
            if (slot == _keys.Length)
            {
                var size = Math.Min(Capacity, Math.Max(16, 2 * _keys.Length));
                Array.Resize(ref _keys, size);
                Array.Resize(ref _values, size * 32);
            }
        }
        else
        {
            // Full: the slot filled longest ago goes (slots fill in order, so the oldest is the next in turn).
            slot = _next;
            _next = (_next + 1) % Capacity;
            _index.Remove(_keys[slot]);
        }

        _keys[slot] = edwards;
        montgomery[..32].CopyTo(_values.AsSpan(slot * 32, 32));
        _index[edwards] = slot;
        return true;
    }
}
