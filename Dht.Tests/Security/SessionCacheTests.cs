using Dht.Protocol;
using Dht.Security;

namespace Dht.Tests.Security;

/// <summary>The bounded LRU of sessions and the per-session replay window, with a counting stand-in for the crypto.</summary>
[TestClass]
public sealed class SessionCacheTests
{
    private static NodeId Peer(int i) => new(0, 0, 0, (ulong)i);

    private static byte[] Nonce(ulong n)
    {
        var nonce = new byte[SessionKey.NonceSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(nonce, n);
        return nonce;
    }

    [TestMethod]
    [DataRow(4)]
    [DataRow(16)]
    public void GetOrCreate_BeyondCapacity_EvictsLeastRecentlyUsedAndDisposesItsKey(int capacity)
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, capacity, 8);
        for (var i = 1; i <= capacity; i++)
        {
            Assert.IsNotNull(cache.GetOrCreate(Peer(i)));
        }

        // Use peer 1 again: peer 2 is now the least recently used.
        Assert.IsTrue(cache.TryGet(Peer(1), out _));
        var first = crypto.Keys[Peer(2)];
        cache.GetOrCreate(Peer(capacity + 1));
        Assert.AreEqual(capacity, cache.Count, $"capacity {capacity}");
        Assert.IsFalse(cache.TryGet(Peer(2), out _), "LRU entry evicted");
        Assert.IsTrue(first.Disposed, "the evicted session's key is disposed");
        Assert.IsTrue(cache.TryGet(Peer(1), out _), "recently used entry kept");

        // Then in use order: 3, 4, ... go next.
        for (var i = 0; i < capacity - 2; i++)
        {
            cache.GetOrCreate(Peer(capacity + 2 + i));
            Assert.IsFalse(cache.TryGet(Peer(3 + i), out _), $"peer {3 + i}; capacity {capacity}");
            Assert.IsTrue(crypto.Keys[Peer(3 + i)].Disposed);
        }

        Assert.AreEqual(capacity, cache.Count);
        Assert.AreEqual(capacity - 1, crypto.Keys.Values.Count(k => k.Disposed), $"capacity {capacity}");
    }

    [TestMethod]
    [DataRow(301UL)]
    public void GetOrCreate_RandomUse_CountNeverExceedsCapacityAndMatchesModel(ulong seed)
    {
        const int capacity = 16;
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, capacity, 8);
        var rng = new Xoshiro256(seed);
        var model = new List<NodeId>(); // most recent first
        for (var step = 0; step < 2000; step++)
        {
            var peer = Peer(1 + rng.NextInt32(40));
            Assert.IsNotNull(cache.GetOrCreate(peer));
            model.Remove(peer);
            model.Insert(0, peer);
            if (model.Count > capacity)
            {
                model.RemoveAt(capacity);
            }

            Assert.IsLessThanOrEqualTo(capacity, cache.Count, $"step {step}; seed {seed}");
        }

        foreach (var peer in model)
        {
            Assert.IsTrue(cache.TryGet(peer, out _), $"{peer} should be cached; seed {seed}");
        }

        Assert.AreEqual(crypto.Derived, cache.Derivations, $"one derivation per miss; seed {seed}");
        Assert.AreEqual(crypto.Derived - capacity, crypto.Disposed, $"every evicted key disposed; seed {seed}");
    }

    [TestMethod]
    public void Derive_NotCached_CountsDerivationOnly()
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 4, 8);
        var session = cache.Derive(Peer(1));
        Assert.IsNotNull(session);
        Assert.AreEqual(0, cache.Count);
        Assert.IsFalse(cache.TryGet(Peer(1), out _));
        Assert.AreEqual(1L, cache.Derivations);

        Assert.IsNull(cache.Derive(default), "unusable key");
        Assert.IsNull(cache.GetOrCreate(default));
        Assert.AreEqual(0, cache.Count);

        cache.Add(session);
        Assert.IsTrue(cache.TryGet(Peer(1), out var cached));
        Assert.AreSame(session, cached);
    }

    [TestMethod]
    public void Add_SamePeerTwice_KeepsFirstAndDisposesSecondKey()
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 4, 8);
        var first = cache.Derive(Peer(1))!;
        var second = cache.Derive(Peer(1))!;
        cache.Add(first);
        cache.Add(second);
        Assert.AreEqual(1, cache.Count);
        Assert.IsTrue(cache.TryGet(Peer(1), out var kept));
        Assert.AreSame(first, kept);
        Assert.IsTrue(((CountingKey)second.Key).Disposed);
        Assert.IsFalse(((CountingKey)first.Key).Disposed);
    }

    [TestMethod]
    public void Clear_DisposesEveryKey()
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 8, 8);
        for (var i = 1; i <= 5; i++)
        {
            cache.GetOrCreate(Peer(i));
        }

        cache.Clear();
        Assert.AreEqual(0, cache.Count);
        Assert.IsTrue(crypto.Keys.Values.All(k => k.Disposed));
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(4)]
    [DataRow(5)]
    [DataRow(9)]
    [DataRow(32)]
    public void TryAcceptNonce_SameNonce_RejectedWithinWindowAcceptedAfterItSlidesOut(int window)
    {
        using var key = new CountingKey();
        var session = new Session(Peer(1), key, window);
        Assert.IsTrue(session.TryAcceptNonce(Nonce(1000)));
        Assert.IsFalse(session.TryAcceptNonce(Nonce(1000)), $"replay at once; window {window}");

        // window - 1 other nonces: 1000 is still remembered.
        for (var i = 1; i < window; i++)
        {
            Assert.IsTrue(session.TryAcceptNonce(Nonce((ulong)i)), $"nonce {i}; window {window}");
        }

        Assert.IsFalse(session.TryAcceptNonce(Nonce(1000)), $"still within the window; window {window}");

        // One more pushes it out.
        Assert.IsTrue(session.TryAcceptNonce(Nonce(5000)));
        Assert.IsTrue(session.TryAcceptNonce(Nonce(1000)), $"slid out of the window; window {window}");
        Assert.IsFalse(session.TryAcceptNonce(Nonce(1000)), $"remembered again; window {window}");
    }

    /// <summary>
    /// The ring of recent nonces starts small and grows up to the window; what it accepts must be exactly what a
    /// full-size window accepts: a random stream with many repeats, against a plain FIFO of the last accepted nonces.
    /// </summary>
    [TestMethod]
    [DataRow(3, 1UL)]
    [DataRow(7, 2UL)]
    [DataRow(32, 3UL)]
    [DataRow(100, 4UL)]
    public void TryAcceptNonce_GrowingRing_AcceptsExactlyWhatAFullWindowAccepts(int window, ulong seed)
    {
        using var key = new CountingKey();
        var session = new Session(Peer(1), key, window);
        var rng = new Dht.Protocol.Xoshiro256(seed);
        var recent = new Queue<ulong>();
        for (var i = 0; i < 5000; i++)
        {
            var n = (ulong)rng.NextInt32(2 * window + 3);
            var expected = !recent.Contains(n);
            Assert.AreEqual(expected, session.TryAcceptNonce(Nonce(n)), $"step {i}, nonce {n}; window {window}, seed {seed}");
            if (expected)
            {
                recent.Enqueue(n);
                if (recent.Count > window)
                {
                    recent.Dequeue();
                }
            }
        }
    }

    [TestMethod]
    public void TryAcceptNonce_NoncesDifferingOnlyInLastBytes_Distinct()
    {
        using var key = new CountingKey();
        var session = new Session(Peer(1), key, 8);
        var a = Nonce(7);
        var b = Nonce(7);
        b[11] = 1;
        Assert.IsTrue(session.TryAcceptNonce(a));
        Assert.IsTrue(session.TryAcceptNonce(b), "the last 4 bytes take part");
    }

    [TestMethod]
    public void TryGetToken_OtherAddress_NoToken()
    {
        using var key = new CountingKey();
        var session = new Session(Peer(1), key, 8);
        var here = PeerAddress.FromIPv4([192, 0, 2, 1], 4000);
        Assert.IsFalse(session.TryGetToken(here, out _));
        session.RememberToken(here, 42);
        Assert.IsTrue(session.TryGetToken(here, out var token));
        Assert.AreEqual((UInt128)42, token);
        Assert.IsFalse(session.TryGetToken(PeerAddress.FromIPv4([192, 0, 2, 1], 4001), out _));
    }

    internal sealed class CountingKey : SessionKey
    {
        public bool Disposed { get; private set; }

        public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext) =>
            plaintext.CopyTo(ciphertext);

        public override bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
        {
            ciphertext[..plaintext.Length].CopyTo(plaintext);
            return true;
        }

        protected override void Dispose(bool disposing) => Disposed = true;
    }

    /// <summary>Hands out a fresh <see cref="CountingKey"/> per derivation (null for the zero id); remembers the last per peer.</summary>
    internal sealed class CountingCrypto : ICryptoSuite
    {
        private readonly List<CountingKey> _all = [];

        public Dictionary<NodeId, CountingKey> Keys { get; } = [];

        public long Derived => _all.Count;

        public long Disposed => _all.Count(k => k.Disposed);

        public NodeId LocalId { get; } = new(ulong.MaxValue, 0, 0, 0);

        public SessionKey? DeriveSessionKey(NodeId remote)
        {
            if (remote.IsZero)
            {
                return null;
            }

            var key = new CountingKey();
            Keys[remote] = key;
            _all.Add(key);
            return key;
        }

        public void SignAsNode(ReadOnlySpan<byte> message, Span<byte> signature) => throw new NotSupportedException();

        public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => throw new NotSupportedException();

        public void Sha256(ReadOnlySpan<byte> data, Span<byte> hash) => throw new NotSupportedException();

        public void DeriveLocalSecret(ReadOnlySpan<byte> context, Span<byte> output) => throw new NotSupportedException();

        public void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac) => throw new NotSupportedException();
    }
}
