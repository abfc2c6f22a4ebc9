namespace Dht.Security;

/// <summary>
/// A handle on one session of a <see cref="SessionCache"/>: what the engine keeps per peer is the static-static session
/// key, a small window of recently seen nonces (so a replayed datagram within the window is dropped) and the address
/// token the peer last gave us. The state lives in the cache's entry array; the handle is its slot and the slot's
/// generation, and the cache that issued it reads and updates the state (<see cref="SessionCache.KeyOf"/>,
/// <see cref="SessionCache.TryAcceptNonce"/>, <see cref="SessionCache.RememberToken"/>,
/// <see cref="SessionCache.TryGetToken"/>).
/// </summary>
/// <remarks>
/// <para>
/// The handle holds no reference to its cache: the cache is a struct held inline in the engine object (at 10^5
/// simulated engines each object a datagram reads is a cache miss), so there is no cache object to point at. A handle
/// is only meaningful to the cache that issued it; an engine has one.
/// </para>
/// <para>
/// A handle is valid until its session leaves the cache: eviction by a later <see cref="SessionCache.Add"/> or
/// <see cref="SessionCache.TryGetOrCreate"/> that misses, or <see cref="SessionCache.Clear"/>. The rule for callers is
/// therefore to use a handle only until the next call that may add a session to the same cache. Every member of the
/// cache that takes a handle checks the slot's generation and throws <see cref="InvalidOperationException"/> on a stale
/// handle (including <c>default</c>), so a violation fails loudly instead of touching another peer's session.
/// </para>
/// </remarks>
internal readonly struct Session
{
    /// <summary>The slot plus one, so the default handle (0) names no slot.</summary>
    private readonly int _slotPlusOne;

    internal Session(int slot, int generation)
    {
        _slotPlusOne = slot + 1;
        Generation = generation;
    }

    /// <summary>True for <c>default</c>, a handle no cache issued.</summary>
    internal bool IsDefault => _slotPlusOne == 0;

    /// <summary>The slot in the issuing cache's entry array (-1 for <c>default</c>).</summary>
    internal int Slot => _slotPlusOne - 1;

    /// <summary>The slot's generation when the handle was issued.</summary>
    internal int Generation { get; }
}
