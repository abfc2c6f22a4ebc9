namespace Dht.Security;

/// <summary>
/// What the engine keeps per peer: the static-static session key and a small window of recently seen nonces,
/// so a replayed datagram within the window is dropped.
/// </summary>
internal sealed class Session(NodeId peer, SessionKey key, int replayWindow)
{
    private readonly ulong[] _recentNonces = new ulong[replayWindow];
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

        _recentNonces[_next] = tag;
        _next = (_next + 1) % _recentNonces.Length;
        _count = Math.Min(_count + 1, _recentNonces.Length);
        return true;
    }
}
