namespace Dht.Security;

/// <summary>
/// A handle on one session of a <see cref="SessionCache"/>: what the engine keeps per peer is the static-static session
/// key, a small window of recently seen nonces (so a replayed datagram within the window is dropped) and the address
/// token the peer last gave us. The state lives in the cache's entry array; the handle is its slot and the slot's
/// generation.
/// </summary>
/// <remarks>
/// A handle is valid until its session leaves the cache: eviction by a later <see cref="SessionCache.Add"/> or
/// <see cref="SessionCache.TryGetOrCreate"/> that misses, or <see cref="SessionCache.Clear"/>. The rule for callers is
/// therefore to use a handle only until the next call that may add a session to the same cache. Every member checks
/// the slot's generation and throws <see cref="InvalidOperationException"/> on a stale handle (including
/// <c>default</c>), so a violation fails loudly instead of touching another peer's session.
/// </remarks>
internal readonly struct Session
{
    private readonly SessionCache _cache;
    private readonly int _slot;
    private readonly int _generation;

    internal Session(SessionCache cache, int slot, int generation)
    {
        _cache = cache;
        _slot = slot;
        _generation = generation;
    }

    /// <summary>True while the session this handle was issued for is still cached.</summary>
    public bool IsCurrent => _cache is not null && _cache.IsCurrent(_slot, _generation);

    public NodeId Peer => Cache.PeerOf(_slot, _generation);

    /// <summary>The session key, read in place (valid until the next call that may add a session to the cache).</summary>
    public ref readonly SessionKey Key => ref Cache.KeyOf(_slot, _generation);

    private SessionCache Cache => _cache ?? throw new InvalidOperationException("Default session handle.");

    /// <summary>Remembers the address token this peer gave us, valid only from <paramref name="address"/>.</summary>
    public void RememberToken(Protocol.PeerAddress address, UInt128 token) => Cache.RememberToken(_slot, _generation, address, token);

    /// <summary>The token this peer last gave us, when it was given to <paramref name="address"/>.</summary>
    public bool TryGetToken(Protocol.PeerAddress address, out UInt128 token) => Cache.TryGetToken(_slot, _generation, address, out token);

    /// <summary>Records a nonce (its first 8 bytes mixed with the last 4); false when it was seen within the window.</summary>
    public bool TryAcceptNonce(ReadOnlySpan<byte> nonce) => Cache.TryAcceptNonce(_slot, _generation, nonce);
}
