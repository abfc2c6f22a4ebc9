using Dht.Security;

namespace Dht.Simulator.Crypto;

/// <summary>
/// Real crypto (<see cref="NSecCryptoSuite"/>) for one simulated node, whose session keys the two ends of a pair derive
/// once between them: a node that derives the key for a pair first leaves it in the world's
/// <see cref="SessionKeyMemo"/>, and the other end takes it from there instead of running X25519 and HKDF again. Both
/// ends compute the same key (the agreement is symmetric and the HKDF input orders the two ids), so every session
/// key, and so every datagram and the trace, is what two separate derivations give. Everything else goes straight to
/// the inner suite.
/// </summary>
internal sealed class SharedAgreementSuite(NSecCryptoSuite inner, SessionKeyMemo memo) : ICryptoSuite, IDisposable
{
    public NodeId LocalId => inner.LocalId;

    public bool TryDeriveSessionKey(NodeId remote, out SessionKey key)
    {
        if (memo.TryTake(LocalId, remote, out key))
        {
            return true;
        }

        if (!inner.TryDeriveSessionKey(remote, out key))
        {
            return false;
        }

        memo.Put(LocalId, remote, key);
        return true;
    }

    public void Seal(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext) =>
        inner.Seal(key, nonce, associatedData, plaintext, ciphertext);

    public bool TryOpen(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext) =>
        inner.TryOpen(key, nonce, associatedData, ciphertext, plaintext);

    public void SignAsNode(ReadOnlySpan<byte> message, Span<byte> signature) => inner.SignAsNode(message, signature);

    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        inner.Verify(publicKey, message, signature);

    public void DeriveLocalSecret(ReadOnlySpan<byte> context, Span<byte> output) => inner.DeriveLocalSecret(context, output);

    public void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac) => inner.Mac(key, data, mac);

    public void Dispose() => inner.Dispose();
}

/// <summary>
/// Session keys one end of a pair derived and the other end has not taken yet (<see cref="SharedAgreementSuite"/>),
/// by unordered pair of ids. A key is taken once, and removed (zeroed) when taken. Bounded: a new key always goes into
/// the next slot in turn, replacing what it held, so a key waits for at most <see cref="Capacity"/> later derivations;
/// the other end usually derives within one round trip, far sooner. One per simulated world, on its single thread.
/// </summary>
internal sealed class SessionKeyMemo
{
    private readonly Dictionary<(NodeId Low, NodeId High), int> _index = [];
    private (NodeId Low, NodeId High)[] _pairs = [];
    private SessionKey[] _keys = [];
    private bool[] _used = [];
    private int _next;

    /// <param name="capacity">Keys held at most, 1 or more.</param>
    public SessionKeyMemo(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Keys held at most.</summary>
    public int Capacity { get; }

    /// <summary>Keys held.</summary>
    public int Count => _index.Count;

    /// <summary>Keys taken by the second end of their pair: derivations saved.</summary>
    public long Taken { get; private set; }

    /// <summary>Leaves the key <paramref name="local"/> derived with <paramref name="remote"/> for the other end.</summary>
    public void Put(NodeId local, NodeId remote, in SessionKey key)
    {
        var pair = Order(local, remote);
        if (_index.ContainsKey(pair))
        {
            return; // this end derived again before the other took the first: the key is the same
        }

        if (_next == _pairs.Length && _pairs.Length < Capacity)
        {
            var size = Math.Min(Capacity, Math.Max(64, 2 * _pairs.Length));
            Array.Resize(ref _pairs, size);
            Array.Resize(ref _keys, size);
            Array.Resize(ref _used, size);
        }

        if (_next == _pairs.Length)
        {
            _next = 0;
        }

        var slot = _next++;
        if (_used[slot])
        {
            _index.Remove(_pairs[slot]);
        }

        _pairs[slot] = pair;
        _keys[slot] = key;
        _used[slot] = true;
        _index[pair] = slot;
    }

    /// <summary>Takes (and removes) the key left for the pair of <paramref name="local"/> and <paramref name="remote"/>.</summary>
    public bool TryTake(NodeId local, NodeId remote, out SessionKey key)
    {
        if (!_index.Remove(Order(local, remote), out var slot))
        {
            key = default;
            return false;
        }

        key = _keys[slot];
        _keys[slot] = default;
        _used[slot] = false;
        Taken++;
        return true;
    }

    private static (NodeId Low, NodeId High) Order(NodeId a, NodeId b) => a < b ? (a, b) : (b, a);
}
