namespace Dht.Security;

/// <summary>
/// What the engine keeps per peer: the static-static session key and a small window of recently seen nonces,
/// so a replayed datagram within the window is dropped.
/// </summary>
internal sealed class Session(NodeId peer, SessionKey key, int replayWindow)
{
    /// <summary>
    /// Ring of recent nonce tags, grown on demand up to the window (most sessions see a handful of datagrams, and the
    /// simulator holds hundreds of thousands of sessions). It only grows while not yet full, so the ring has not
    /// wrapped and growing is a plain copy: the accepted and rejected nonces are exactly those of a full-size ring.
    /// </summary>
    private ulong[] _recentNonces = new ulong[Math.Min(replayWindow, 4)];
    private int _next;
    private int _count;

    public NodeId Peer { get; } = peer;

    public SessionKey Key { get; } = key;

    /// <summary>The address token this peer last gave us, valid only from <see cref="TokenAddress"/>.</summary>
    public UInt128 Token { get; private set; }

    public Protocol.PeerAddress TokenAddress { get; private set; }

    public bool HasToken { get; private set; }

    public void RememberToken(Protocol.PeerAddress address, UInt128 token)
    {
        TokenAddress = address;
        Token = token;
        HasToken = true;
    }

    public bool TryGetToken(Protocol.PeerAddress address, out UInt128 token)
    {
        token = Token;
        return HasToken && TokenAddress == address;
    }

    internal LinkedListNode<Session>? LruNode { get; set; }

    /// <summary>Records a nonce (its first 8 bytes mixed with the last 4); false when it was seen within the window.</summary>
    public bool TryAcceptNonce(ReadOnlySpan<byte> nonce)
    {
        var tag = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(nonce)
            ^ ((ulong)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..]) << 17);
        for (var i = 0; i < _count; i++)
        {
            if (_recentNonces[i] == tag)
            {
                return false;
            }
        }

        if (_count == _recentNonces.Length && _count < replayWindow)
        {
            Array.Resize(ref _recentNonces, Math.Min(replayWindow, 2 * _count));
            _next = _count; // The small ring's index wrapped to 0; a full-size ring would be at _count.
        }

        _recentNonces[_next] = tag;
        _next = (_next + 1) % _recentNonces.Length;
        _count = Math.Min(_count + 1, _recentNonces.Length);
        return true;
    }
}
