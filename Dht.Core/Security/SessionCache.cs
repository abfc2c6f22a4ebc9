namespace Dht.Security;

/// <summary>
/// Bounded least-recently-used cache of per-peer sessions. Deriving a session costs one X25519 agreement, so the cache
/// keeps the common path at symmetric crypto only. Eviction order depends only on the order of use.
/// </summary>
internal sealed class SessionCache(ICryptoSuite crypto, int capacity, int replayWindow)
{
    private readonly Dictionary<NodeId, Session> _sessions = [];
    private readonly LinkedList<Session> _lru = new();

    public int Count => _sessions.Count;

    public int Capacity => capacity;

    public long Derivations { get; private set; }

    public bool TryGet(NodeId peer, out Session session)
    {
        if (_sessions.TryGetValue(peer, out session!))
        {
            Touch(session);
            return true;
        }

        return false;
    }

    /// <summary>Derives a session without caching it (for an inbound packet not yet authenticated).</summary>
    public Session? Derive(NodeId peer)
    {
        Derivations++;
        var key = crypto.DeriveSessionKey(peer);
        return key is null ? null : new Session(peer, key, replayWindow);
    }

    /// <summary>Returns the cached session or derives and caches a new one; null when the peer's key is unusable.</summary>
    public Session? GetOrCreate(NodeId peer)
    {
        if (TryGet(peer, out var session))
        {
            return session;
        }

        var created = Derive(peer);
        if (created is not null)
        {
            Add(created);
        }

        return created;
    }

    public void Add(Session session)
    {
        if (_sessions.TryGetValue(session.Peer, out var existing))
        {
            Touch(existing);
            session.Key.Dispose();
            return;
        }

        while (_sessions.Count >= capacity && _lru.Last is { } oldest)
        {
            _lru.RemoveLast();
            _sessions.Remove(oldest.Value.Peer);
            oldest.Value.Key.Dispose();
        }

        _sessions[session.Peer] = session;
        session.LruNode = _lru.AddFirst(session);
    }

    public void Clear()
    {
        foreach (var s in _lru)
        {
            s.Key.Dispose();
        }

        _lru.Clear();
        _sessions.Clear();
    }

    private void Touch(Session session)
    {
        if (session.LruNode is { } node && node != _lru.First)
        {
            _lru.Remove(node);
            _lru.AddFirst(node);
        }
    }
}
