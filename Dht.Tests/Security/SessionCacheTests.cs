using Dht.Protocol;
using Dht.Routing;
using Dht.Security;

namespace Dht.Tests.Security;

/// <summary>The bounded LRU of sessions and the per-session replay window, with a counting stand-in for the crypto.</summary>
[TestClass]
public sealed class SessionCacheTests
{
    /// <summary>Where the tests' peers are reached, unless a test says otherwise.</summary>
    private static readonly PeerAddress Here = PeerAddress.FromIPv4([192, 0, 2, 9], 4000);

    private static NodeId Peer(int i) => new(0, 0, 0, (ulong)i);

    /// <summary>The derivation number <see cref="CountingCrypto"/> wrote into a key.</summary>
    private static ulong Number(in SessionKey key) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(key);

    private static byte[] Nonce(ulong n)
    {
        var nonce = new byte[SessionKey.NonceSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(nonce, n);
        return nonce;
    }

    [TestMethod]
    public void EvictionHints_InEveryStateOfTheCache_ReadOnlyLiveEntriesAndChangeNothing()
    {
        // The hints read the least recently used entry (the second step follows its chain and directory handle): empty,
        // filling, full, after evictions, after expiry shrank the array and after Clear, they must neither read
        // outside the arrays nor change the order of eviction.
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 4, 8);
        void Hint()
        {
            cache.HintEvictee();
            cache.HintEvicteeDeep();
        }

        Hint();
        for (var i = 1; i <= 9; i++)
        {
            Assert.IsTrue(cache.TryGetOrCreate(Peer(i), Here, out _));
            Hint();
        }

        CollectionAssert.AreEqual(new[] { Peer(9), Peer(8), Peer(7), Peer(6) }, cache.DirectoryPairs().Select(p => p.Id).ToList());
        cache.Clock = Instant.FromSeconds(1800);
        Assert.IsTrue(cache.TryGet(Peer(7), out _));
        Assert.AreEqual(3, cache.ExpireIdle(Instant.FromSeconds(1200)));
        Hint();
        cache.Clear();
        Hint();
        Assert.AreEqual(0, cache.Count);
    }

    [TestMethod]
    [DataRow(4)]
    [DataRow(16)]
    public void GetOrCreate_BeyondCapacity_EvictsLeastRecentlyUsedAndWipesItsKey(int capacity)
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, capacity, 8);
        for (var i = 1; i <= capacity; i++)
        {
            Assert.IsTrue(cache.TryGetOrCreate(Peer(i), Here, out _));
        }

        // Use peer 1 again: peer 2 is now the least recently used.
        Assert.IsTrue(cache.TryGet(Peer(1), out _));
        cache.TryGetOrCreate(Peer(capacity + 1), Here, out _);
        Assert.AreEqual(capacity, cache.Count, $"capacity {capacity}");
        Assert.IsFalse(cache.TryGet(Peer(2), out _), "LRU entry evicted");
        Assert.AreEqual(capacity, cache.SlotsHoldingKeyMaterial(), "the evicted session's key is wiped");
        Assert.IsTrue(cache.TryGet(Peer(1), out _), "recently used entry kept");

        // Then in use order: 3, 4, ... go next.
        for (var i = 0; i < capacity - 2; i++)
        {
            cache.TryGetOrCreate(Peer(capacity + 2 + i), Here, out _);
            Assert.IsFalse(cache.TryGet(Peer(3 + i), out _), $"peer {3 + i}; capacity {capacity}");
        }

        Assert.AreEqual(capacity, cache.Count);
        Assert.AreEqual(capacity, cache.SlotsHoldingKeyMaterial(), $"capacity {capacity}");
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
            Assert.IsTrue(cache.TryGetOrCreate(peer, Here, out _));
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

        Assert.AreEqual((long)crypto.Derived, cache.Derivations, $"one derivation per miss; seed {seed}");
        Assert.AreEqual(capacity, cache.SlotsHoldingKeyMaterial(), $"every evicted key wiped; seed {seed}");
    }

    [TestMethod]
    public void Derive_NotCached_CountsDerivationOnly()
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 4, 8);
        Assert.IsTrue(cache.TryDerive(Peer(1), out var key));
        Assert.AreEqual(0, cache.Count);
        Assert.IsFalse(cache.TryGet(Peer(1), out _));
        Assert.AreEqual(1L, cache.Derivations);

        Assert.IsFalse(cache.TryDerive(default, out _), "unusable key");
        Assert.IsFalse(cache.TryGetOrCreate(default, Here, out _));
        Assert.AreEqual(0, cache.Count);

        var added = cache.Add(Peer(1), Here, key);
        Assert.AreEqual(1UL, Number(cache.KeyOf(added)));
        Assert.AreEqual(Peer(1), cache.PeerOf(added));
        Assert.IsTrue(cache.TryGet(Peer(1), out var cached));
        Assert.AreEqual(1UL, Number(cache.KeyOf(cached)));
    }

    [TestMethod]
    public void Add_SamePeerTwice_KeepsTheFirstKey()
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 4, 8);
        Assert.IsTrue(cache.TryDerive(Peer(1), out var first));
        Assert.IsTrue(cache.TryDerive(Peer(1), out var second));
        cache.Add(Peer(1), Here, first);
        var returned = cache.Add(Peer(1), Here, second);
        Assert.AreEqual(1UL, Number(cache.KeyOf(returned)), "Add returns the session that stays cached");
        Assert.AreEqual(1, cache.Count);
        Assert.IsTrue(cache.TryGet(Peer(1), out var kept));
        Assert.AreEqual(1UL, Number(cache.KeyOf(kept)));
        Assert.AreEqual(1, cache.SlotsHoldingKeyMaterial());
    }

    [TestMethod]
    public void Add_ExistingPeer_MarksItMostRecentlyUsed()
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 3, 8);
        for (var i = 1; i <= 3; i++)
        {
            cache.TryGetOrCreate(Peer(i), Here, out _);
        }

        Assert.IsTrue(cache.TryDerive(Peer(1), out var key));
        cache.Add(Peer(1), Here, key);
        cache.TryGetOrCreate(Peer(4), Here, out _);
        Assert.IsTrue(cache.TryGet(Peer(1), out _), "touched by Add");
        Assert.IsFalse(cache.TryGet(Peer(2), out _), "the least recently used one goes");
    }

    [TestMethod]
    public void Clear_WipesEveryKey()
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 8, 8);
        for (var i = 1; i <= 5; i++)
        {
            cache.TryGetOrCreate(Peer(i), Here, out _);
        }

        cache.Clear();
        Assert.AreEqual(0, cache.Count);
        Assert.AreEqual(0, cache.SlotsHoldingKeyMaterial());
        Assert.IsFalse(cache.TryGet(Peer(1), out _));

        // The cleared cache is usable again, and sessions start afresh.
        Assert.IsTrue(cache.TryGetOrCreate(Peer(1), Here, out var again));
        Assert.AreEqual(6UL, Number(cache.KeyOf(again)), "a fresh derivation");
        Assert.IsTrue(cache.TryAcceptNonce(again, Nonce(1)));
        Assert.IsFalse(cache.TryGetToken(again, PeerAddress.FromIPv4([192, 0, 2, 1], 4000), out _));
        Assert.AreEqual(1, cache.Count);
    }

    [TestMethod]
    public void Entry_Is96Bytes() => Assert.AreEqual(96, SessionCache.EntrySize);

    [TestMethod]
    public void Capacity_AboveTheSixteenBitSlotRange_Refused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SessionCache(new CountingCrypto(), SessionCache.MaxCapacity + 1, 8));
        Assert.AreEqual(SessionCache.MaxCapacity, new SessionCache(new CountingCrypto(), SessionCache.MaxCapacity, 8).Capacity);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(4)]
    [DataRow(5)]
    [DataRow(9)]
    [DataRow(32)]
    public void TryAcceptNonce_SameNonce_RejectedWithinWindowAcceptedAfterItSlidesOut(int window)
    {
        var (cache, session) = OneSession(window);
        Assert.IsTrue(cache.TryAcceptNonce(session, Nonce(1000)));
        Assert.IsFalse(cache.TryAcceptNonce(session, Nonce(1000)), $"replay at once; window {window}");

        // window - 1 other nonces: 1000 is still remembered.
        for (var i = 1; i < window; i++)
        {
            Assert.IsTrue(cache.TryAcceptNonce(session, Nonce((ulong)i)), $"nonce {i}; window {window}");
        }

        Assert.IsFalse(cache.TryAcceptNonce(session, Nonce(1000)), $"still within the window; window {window}");

        // One more pushes it out.
        Assert.IsTrue(cache.TryAcceptNonce(session, Nonce(5000)));
        Assert.IsTrue(cache.TryAcceptNonce(session, Nonce(1000)), $"slid out of the window; window {window}");
        Assert.IsFalse(cache.TryAcceptNonce(session, Nonce(1000)), $"remembered again; window {window}");
    }

    /// <summary>
    /// Past the tags held inline in the entry, the ring continues in an overflow array: every one of the last
    /// <c>window</c> nonces is still rejected, and exactly the oldest slides out first.
    /// </summary>
    [TestMethod]
    [DataRow(3)]
    [DataRow(5)]
    [DataRow(8)]
    [DataRow(32)]
    [DataRow(1024)]
    public void TryAcceptNonce_MoreThanInlineTags_WholeWindowRemembered(int window)
    {
        Assert.IsGreaterThan(SessionCache.InlineTags, window);
        var (cache, session) = OneSession(window);
        for (var i = 0; i < window; i++)
        {
            Assert.IsTrue(cache.TryAcceptNonce(session, Nonce((ulong)i)), $"nonce {i}; window {window}");
        }

        for (var i = 0; i < window; i++)
        {
            Assert.IsFalse(cache.TryAcceptNonce(session, Nonce((ulong)i)), $"nonce {i} is within the window; window {window}");
        }

        // A new nonce pushes out the oldest (0) and only it; accepting 0 again then pushes out 1.
        Assert.IsTrue(cache.TryAcceptNonce(session, Nonce(10_000)));
        Assert.IsTrue(cache.TryAcceptNonce(session, Nonce(0)), $"0 slid out; window {window}");
        for (var i = 2; i < window; i++)
        {
            Assert.IsFalse(cache.TryAcceptNonce(session, Nonce((ulong)i)), $"nonce {i} is still within the window; window {window}");
        }

        Assert.IsFalse(cache.TryAcceptNonce(session, Nonce(10_000)));
        Assert.IsFalse(cache.TryAcceptNonce(session, Nonce(0)));
        Assert.IsTrue(cache.TryAcceptNonce(session, Nonce(1)), $"1 slid out; window {window}");
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
        var (cache, session) = OneSession(window);
        var rng = new Xoshiro256(seed);
        var recent = new Queue<ulong>();
        for (var i = 0; i < 5000; i++)
        {
            var n = (ulong)rng.NextInt32(2 * window + 3);
            var expected = !recent.Contains(n);
            Assert.AreEqual(expected, cache.TryAcceptNonce(session, Nonce(n)), $"step {i}, nonce {n}; window {window}, seed {seed}");
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
        var (cache, session) = OneSession(8);
        var a = Nonce(7);
        var b = Nonce(7);
        b[11] = 1;
        Assert.IsTrue(cache.TryAcceptNonce(session, a));
        Assert.IsTrue(cache.TryAcceptNonce(session, b), "the last 4 bytes take part");
    }

    [TestMethod]
    public void TryGetToken_OtherAddress_NoToken()
    {
        var (cache, session) = OneSession(8);
        var here = PeerAddress.FromIPv4([192, 0, 2, 1], 4000);
        Assert.IsFalse(cache.TryGetToken(session, here, out _));
        cache.RememberToken(session, here, 42);
        Assert.IsTrue(cache.TryGetToken(session, here, out var token));
        Assert.AreEqual((UInt128)42, token);
        Assert.IsFalse(cache.TryGetToken(session, PeerAddress.FromIPv4([192, 0, 2, 1], 4001), out _));

        var big = (UInt128.MaxValue / 3) + 5;
        cache.RememberToken(session, here, big);
        Assert.IsTrue(cache.TryGetToken(session, here, out token));
        Assert.AreEqual(big, token, "all 128 bits kept");
    }

    /// <summary>
    /// A handle whose session was evicted (even when its slot now holds another peer's session), cleared, or never
    /// issued is detected: every member throws instead of reaching another session.
    /// </summary>
    [TestMethod]
    public void Session_AfterEvictionOrClear_IsStaleAndThrows()
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 4, 8);
        Assert.IsTrue(cache.TryGetOrCreate(Peer(1), Here, out var first));
        Assert.IsTrue(cache.IsCurrent(first));
        Assert.IsTrue(cache.TryAcceptNonce(first, Nonce(1)));
        for (var i = 2; i <= 5; i++)
        {
            cache.TryGetOrCreate(Peer(i), Here, out _);
        }

        // Peer 5 took peer 1's slot (the only free one); the old handle must not reach it.
        Assert.IsTrue(cache.TryGet(Peer(5), out var fifth));
        Assert.IsTrue(cache.IsCurrent(fifth));
        AssertStale(cache, first, "evicted, slot reused");
        Assert.IsTrue(cache.TryAcceptNonce(fifth, Nonce(1)), "the reused slot starts with an empty ring");

        cache.Clear();
        AssertStale(cache, fifth, "cleared");
        Assert.IsTrue(cache.TryGetOrCreate(Peer(6), Here, out var sixth));
        AssertStale(cache, fifth, "cleared, slot reused");
        AssertStale(cache, first, "evicted long ago");
        Assert.IsTrue(cache.IsCurrent(sixth));
        AssertStale(cache, default, "default");
    }

    [TestMethod]
    public void ExpireIdle_DropsSessionsUnusedSinceTheCutoffOldestFirst_AndShrinksTheArrayAfterAQuietPeriod()
    {
        var crypto = new CountingCrypto();
        var cache = new SessionCache(crypto, 64, 8) { Clock = Instant.FromSeconds(0) };
        for (var i = 1; i <= 40; i++)
        {
            cache.Clock = Instant.FromSeconds(i);
            Assert.IsTrue(cache.TryGetOrCreate(Peer(i), Here, out _));
        }

        Assert.AreEqual(64, cache.Slots);

        // Peer 3 is used again at 100 s; then everything last used before 38 s goes, least recently used first.
        cache.Clock = Instant.FromSeconds(100);
        Assert.IsTrue(cache.TryGet(Peer(3), out _));
        Assert.AreEqual(36, cache.ExpireIdle(Instant.FromSeconds(38)));

        Assert.AreEqual(4, cache.Count);
        for (var i = 1; i <= 40; i++)
        {
            Assert.AreEqual(i is 3 or >= 38, cache.Contains(Peer(i)), $"peer {i}");
        }

        Assert.AreEqual(4, cache.SlotsHoldingKeyMaterial(), "the expired sessions' keys are wiped");
        Assert.AreEqual(64, cache.Slots, "40 sessions at once within the period that ended: the array is kept");

        // The next period (from 100 s, the instant of that decision) holds at most 4: the array shrinks. The four are
        // used again at 150 s in their LRU order, so nothing else changes.
        cache.Clock = Instant.FromSeconds(150);
        foreach (var i in new[] { 38, 39, 40, 3 })
        {
            Assert.IsTrue(cache.TryGet(Peer(i), out _), $"peer {i}");
        }

        Assert.AreEqual(0, cache.ExpireIdle(Instant.FromSeconds(99)), "the period has not ended");
        Assert.AreEqual(64, cache.Slots);
        Assert.AreEqual(0, cache.ExpireIdle(Instant.FromSeconds(100)));
        Assert.AreEqual(6, cache.Slots, "at most 4 sessions in 64 slots all through the period: moved into 6");
        foreach (var i in new[] { 3, 38, 39, 40 })
        {
            Assert.IsTrue(cache.TryGet(Peer(i), out var session), $"peer {i}");
            Assert.AreEqual(Peer(i), cache.PeerOf(session));
            Assert.AreEqual(crypto.Keys[Peer(i)], Number(cache.KeyOf(session)));
        }

        // The moved sessions keep their LRU order and their state; the cache grows again as before.
        cache.Clock = Instant.FromSeconds(200);
        Assert.IsTrue(cache.TryGet(Peer(38), out var again));
        Assert.IsTrue(cache.TryAcceptNonce(again, Nonce(5)));
        Assert.IsFalse(cache.TryAcceptNonce(again, Nonce(5)));
        for (var i = 100; i < 161; i++)
        {
            Assert.IsTrue(cache.TryGetOrCreate(Peer(i), Here, out _));
        }

        Assert.AreEqual(64, cache.Count);
        Assert.AreEqual(64, cache.Slots);
        Assert.IsFalse(cache.TryGet(Peer(3), out _), "the least recently used went first");
        Assert.AreEqual(2, cache.ExpireIdle(Instant.FromSeconds(200)), "peers 39 and 40, last used at 150 s");
        Assert.IsFalse(cache.TryGet(Peer(40), out _));
        Assert.AreEqual(62, cache.ExpireIdle(Instant.FromSeconds(201)));
        Assert.AreEqual(64, cache.Slots, "62 sessions at the start of this period: kept");
        cache.Clock = Instant.FromSeconds(300);
        Assert.AreEqual(0, cache.ExpireIdle(Instant.FromSeconds(250)));
        Assert.AreEqual(0, cache.Slots, "empty all through a period: no array, like a new cache");
        Assert.IsTrue(cache.TryGetOrCreate(Peer(1), Here, out var fresh));
        Assert.IsTrue(cache.IsCurrent(fresh));
    }

    /// <summary>
    /// A tick with nothing idle skips the entry array through a lower bound on the last uses, which holds because the
    /// clock never moves backwards: an earlier time is ignored, so no session is stamped older than one used before it.
    /// </summary>
    [TestMethod]
    public void ExpireIdle_ClockSetEarlier_IgnoredAndTheBoundHolds()
    {
        var cache = new SessionCache(new CountingCrypto(), 64, 8) { Clock = Instant.FromSeconds(100) };
        Assert.IsTrue(cache.TryGetOrCreate(Peer(1), Here, out _));
        Assert.IsTrue(cache.TryGetOrCreate(Peer(2), Here, out _));
        Assert.AreEqual(0, cache.ExpireIdle(Instant.FromSeconds(90)), "nothing idle: the bound is now 100 s");

        cache.Clock = Instant.FromSeconds(50);
        Assert.AreEqual(Instant.FromSeconds(100), cache.Clock);
        cache.Clock = Instant.FromSeconds(120);
        Assert.IsTrue(cache.TryGetOrCreate(Peer(1), Here, out _), "used again at 120 s");
        Assert.IsTrue(cache.TryGetOrCreate(Peer(3), Here, out _), "added at 120 s");

        Assert.AreEqual(0, cache.ExpireIdle(Instant.FromSeconds(100)));
        Assert.AreEqual(1, cache.ExpireIdle(Instant.FromSeconds(101)), "peer 2, last used at 100 s");
        Assert.IsFalse(cache.TryGet(Peer(2), out _));
        Assert.AreEqual(0, cache.ExpireIdle(Instant.FromSeconds(120)));
        Assert.AreEqual(2, cache.ExpireIdle(Instant.FromSeconds(121)));
        Assert.AreEqual(0, cache.Count);
        Assert.IsTrue(cache.TryGetOrCreate(Peer(4), Here, out _), "an empty cache takes a new session");
        Assert.AreEqual(1, cache.ExpireIdle(Instant.FromSeconds(121)), "and the bound follows it");
    }

    [TestMethod]
    public void ExpireIdle_EverySessionThenNewOnes_OldHandlesStayStale()
    {
        var cache = new SessionCache(new CountingCrypto(), 64, 8) { Clock = Instant.FromSeconds(0) };
        var handles = new List<Session>();
        for (var i = 1; i <= 8; i++)
        {
            Assert.IsTrue(cache.TryGetOrCreate(Peer(i), Here, out var session));
            handles.Add(session);
        }

        cache.Clock = Instant.FromSeconds(10);
        Assert.AreEqual(8, cache.ExpireIdle(Instant.FromSeconds(5)));
        Assert.AreEqual(8, cache.Slots, "full within the period: the freed slots are kept for the next sessions");
        for (var i = 11; i <= 18; i++)
        {
            Assert.IsTrue(cache.TryGetOrCreate(Peer(i), Here, out var session));
            Assert.IsTrue(cache.IsCurrent(session));
        }

        foreach (var handle in handles)
        {
            AssertStale(cache, handle, "expired, its slot now another peer's");
        }
    }

    [TestMethod]
    public void ExpireIdle_Shrinking_MakesEveryEarlierHandleStale()
    {
        var cache = new SessionCache(new CountingCrypto(), 64, 8) { Clock = Instant.FromSeconds(0) };
        var handles = new List<Session>();
        for (var i = 1; i <= 32; i++)
        {
            cache.Clock = Instant.FromSeconds(i);
            Assert.IsTrue(cache.TryGetOrCreate(Peer(i), Here, out var session));
            handles.Add(session);
        }

        Assert.AreEqual(30, cache.ExpireIdle(Instant.FromSeconds(31)));
        Assert.AreEqual(32, cache.Slots, "full within the period: kept");

        // A period with at most 2 sessions (from 32 s, the instant of that decision) moves them into 4 slots.
        cache.Clock = Instant.FromSeconds(50);
        Assert.IsTrue(cache.TryGet(Peer(31), out _));
        Assert.AreEqual(0, cache.ExpireIdle(Instant.FromSeconds(32)));
        Assert.AreEqual(4, cache.Slots);
        foreach (var (handle, i) in handles.Select((h, i) => (h, i)))
        {
            AssertStale(cache, handle, $"peer {i + 1}: expired or moved");
        }

        Assert.IsTrue(cache.TryGet(Peer(32), out var kept));
        Assert.IsTrue(cache.IsCurrent(kept));
        Assert.AreEqual(Peer(32), cache.PeerOf(kept));
    }

    /// <summary>
    /// The cache against a plain reference (a most-recent-first list of sessions, each with a FIFO of its last
    /// accepted nonce tags): a seeded random mix of every operation must give the same answers, the same count and
    /// derivations, the same keys disposed in the same order, and handles that are current exactly while their session
    /// is cached.
    /// </summary>
    [TestMethod]
    [DataRow(5, 7, 1UL)]
    [DataRow(5, 7, 2UL)]
    [DataRow(5, 7, 3UL)]
    [DataRow(1, 7, 4UL)]
    [DataRow(3, 2, 5UL)]
    [DataRow(37, 9, 6UL)]
    [DataRow(300, 40, 7UL)]
    public void RandomOperations_MatchReferenceModel(int capacity, int window, ulong seed)
    {
        var crypto = new CountingCrypto();
        var addresses = new[] { PeerAddress.FromIPv4([192, 0, 2, 1], 4000), PeerAddress.FromIPv4([192, 0, 2, 1], 4001), PeerAddress.FromIPv4([192, 0, 2, 2], 4000) };

        // The directory is shared, as with a routing table that lists peer 1 at the first address.
        var directory = new PeerDirectory();
        var listed = (Peer(1), addresses[0]);
        directory.Acquire(listed.Item1, listed.Item2);
        var cache = new SessionCache(crypto, capacity, window, directory);
        var model = new ModelCache(capacity, window);
        var rng = new Xoshiro256(seed);
        var peers = Math.Max(12, capacity * 3);
        var held = new List<(Session Handle, ModelSession Model)>();
        var steps = capacity > 100 ? 20_000 : 5_000;

        // The shrink rule: once per idle period (the first expiry whose cutoff reaches the instant of the previous
        // decision) the array shrinks, to one and a half times the sessions left, exactly when the cache held at most
        // half its slots all through that period.
        var windowStart = cache.Clock;
        var windowPeak = 0;
        var previousPeak = 0;
        for (var step = 0; step < steps; step++)
        {
            var where = $"step {step}; capacity {capacity}, window {window}, seed {seed}";
            var peer = rng.NextInt32(50) == 0 ? default : Peer(1 + rng.NextInt32(peers));
            var at = addresses[rng.NextInt32(addresses.Length)];
            var op = rng.NextInt32(100);
            if (op < 25)
            {
                var ok = cache.TryGetOrCreate(peer, at, out var session);
                var expected = model.TryGet(peer);
                if (expected is null)
                {
                    model.Derivations++;
                    expected = peer.IsZero ? null : model.Add(peer, at, crypto.Last);
                }

                Assert.AreEqual(expected is not null, ok, where);
                if (ok)
                {
                    Hold(session, expected!);
                }
            }
            else if (op < 40)
            {
                var ok = cache.TryGet(peer, out var session);
                var expected = model.TryGet(peer);
                Assert.AreEqual(expected is not null, ok, where);
                if (ok)
                {
                    Hold(session, expected!);
                }
            }
            else if (op < 50)
            {
                // An inbound packet from a sender without a session: derive, then cache or (decryption failed) drop.
                var derived = cache.TryDerive(peer, out var key);
                model.Derivations++;
                Assert.AreEqual(!peer.IsZero, derived, where);
                if (derived && rng.NextInt32(4) != 0)
                {
                    var session = cache.Add(peer, at, key);
                    var expected = model.Add(peer, at, Number(key));
                    Assert.AreEqual(expected.Key, Number(cache.KeyOf(session)), where);
                    Hold(session, expected);
                }
            }
            else if (op < 80 && held.Count > 0)
            {
                // Nonces through a handle (no LRU effect), a few in a row so rings grow past the inline tags.
                var (session, expected) = held[rng.NextInt32(held.Count)];
                if (!model.Contains(expected))
                {
                    continue;
                }

                for (var n = 1 + rng.NextInt32(4); n > 0; n--)
                {
                    var nonce = Nonce((ulong)rng.NextInt32(2 * window + 3));
                    nonce[8 + rng.NextInt32(4)] = (byte)rng.NextInt32(2);
                    Assert.AreEqual(expected.TryAcceptNonce(nonce), cache.TryAcceptNonce(session, nonce), where);
                }
            }
            else if (op < 95 && held.Count > 0)
            {
                var (session, expected) = held[rng.NextInt32(held.Count)];
                if (!model.Contains(expected))
                {
                    continue;
                }

                var address = addresses[rng.NextInt32(addresses.Length)];
                if (rng.NextInt32(2) == 0)
                {
                    var token = new UInt128(rng.NextUInt64(), rng.NextUInt64());
                    cache.RememberToken(session, address, token);
                    expected.RememberToken(address, token);
                }
                else
                {
                    var ok = cache.TryGetToken(session, address, out var token);
                    Assert.AreEqual(expected.TryGetToken(address, out var expectedToken), ok, where);
                    Assert.AreEqual(expectedToken, token, where);
                }
            }
            else if (op == 99)
            {
                cache.Clear();
                model.Clear();
            }
            else if (op >= 95)
            {
                // Time passes; sometimes the idle sessions expire (and the array may shrink, which makes every handle
                // issued before stale: only sessions still cached may be used again, through new handles).
                var now = cache.Clock + TimeSpan.FromSeconds(rng.NextInt32(20));
                cache.Clock = now;
                model.Clock = now;
                if (op >= 97)
                {
                    var cutoff = now - TimeSpan.FromSeconds(rng.NextInt32(60));
                    var slotsBefore = cache.Slots;
                    Assert.AreEqual(model.ExpireIdle(cutoff), cache.ExpireIdle(cutoff), where);
                    var left = cache.Count;
                    var shrinks = cutoff >= windowStart && slotsBefore > SessionCache.InitialSlots && windowPeak <= slotsBefore / 2;
                    Assert.AreEqual(shrinks ? (left == 0 ? 0 : Math.Max(SessionCache.InitialSlots, left + (left / 2))) : slotsBefore, cache.Slots, where);
                    if (cutoff >= windowStart)
                    {
                        previousPeak = windowPeak;
                        windowStart = now;
                        windowPeak = left;
                    }
                    foreach (var (session, expected) in held)
                    {
                        Assert.IsTrue(!cache.IsCurrent(session) || model.Contains(expected), where);
                    }

                    held.Clear();
                }
            }

            Assert.AreEqual(model.Lru.Count, cache.Count, where);
            windowPeak = Math.Max(windowPeak, cache.Count);

            // So the array is never more than twice the most sessions held in this period or the one before.
            Assert.IsLessThanOrEqualTo(Math.Max(SessionCache.InitialSlots, 2 * Math.Max(windowPeak, previousPeak)), cache.Slots, where);
            Assert.AreEqual(model.Derivations, cache.Derivations, where);
            AssertDirectoryHolds(directory, model, listed, where);
            Assert.AreEqual(cache.Count, cache.SlotsHoldingKeyMaterial(), where);

            // The same sessions are cached after every step, so each eviction took the session the model evicted.
            foreach (var session in model.Lru)
            {
                Assert.IsTrue(cache.Contains(session.Peer), where);
            }

            foreach (var (session, expected) in held)
            {
                var current = model.Contains(expected);
                Assert.AreEqual(current, cache.IsCurrent(session), where);
                if (current)
                {
                    Assert.AreEqual(expected.Peer, cache.PeerOf(session), where);
                    Assert.AreEqual(expected.Key, Number(cache.KeyOf(session)), where);
                }
            }
        }

        // Flush the LRU order out: fresh peers evict every cached session, least recently used first.
        for (var i = 0; i < capacity; i++)
        {
            var fresh = Peer(1_000_000 + i);
            var next = model.Lru.Count == capacity ? model.Lru[^1].Peer : default;
            Assert.IsTrue(cache.TryGetOrCreate(fresh, Here, out _));
            model.Derivations++;
            model.Add(fresh, Here, crypto.Last);
            Assert.IsTrue(next.IsZero || !cache.Contains(next), $"LRU order; capacity {capacity}, window {window}, seed {seed}");
        }

        Assert.AreEqual(model.Derivations, cache.Derivations);
        cache.Clear();
        Assert.AreEqual(1, directory.Count, "only the table's pair is left once the cache is cleared");
        Assert.IsTrue(directory.TryFind(listed.Item1, listed.Item2, out var handle));
        Assert.AreEqual(1, directory.ReferencesOf(handle));

        void Hold(Session session, ModelSession expected)
        {
            held.Add((session, expected));
            if (held.Count > 8)
            {
                held.RemoveAt(0);
            }
        }
    }

    /// <summary>
    /// The directory holds one reference per cached session on (peer, address of its token, or before one the address
    /// it was created for), plus the table's reference on <paramref name="listed"/>, and nothing else.
    /// </summary>
    private static void AssertDirectoryHolds(PeerDirectory directory, ModelCache model, (NodeId, PeerAddress) listed, string where)
    {
        var expected = new Dictionary<(NodeId, PeerAddress), int> { [listed] = 1 };
        foreach (var session in model.Lru)
        {
            var pair = (session.Peer, session.Address);
            expected[pair] = expected.GetValueOrDefault(pair) + 1;
        }

        Assert.AreEqual(expected.Count, directory.Count, where);
        foreach (var ((id, address), references) in expected)
        {
            Assert.IsTrue(directory.TryFind(id, address, out var handle), where);
            Assert.AreEqual(references, directory.ReferencesOf(handle), where);
        }
    }

    private static (SessionCache Cache, Session Session) OneSession(int window)
    {
        var cache = new SessionCache(new CountingCrypto(), 4, window);
        Assert.IsTrue(cache.TryGetOrCreate(Peer(1), Here, out var session));
        return (cache, session);
    }

    private static void AssertStale(SessionCache cache, Session session, string what)
    {
        Assert.IsFalse(cache.IsCurrent(session), what);
        Assert.ThrowsExactly<InvalidOperationException>(() => cache.KeyOf(session), what);
        Assert.ThrowsExactly<InvalidOperationException>(() => cache.PeerOf(session), what);
        Assert.ThrowsExactly<InvalidOperationException>(() => cache.TryAcceptNonce(session, Nonce(99)), what);
        Assert.ThrowsExactly<InvalidOperationException>(() => cache.TryGetToken(session, default, out _), what);
        Assert.ThrowsExactly<InvalidOperationException>(() => cache.RememberToken(session, default, 1), what);
    }

    /// <summary>
    /// The reference session: a FIFO of the last <c>window</c> accepted nonce tags, the token, and the address its
    /// directory pair names (the one it was created for, then the one of its token).
    /// </summary>
    private sealed class ModelSession(NodeId peer, ulong key, int window)
    {
        private readonly Queue<ulong> _recent = new();
        private UInt128 _token;
        private bool _hasToken;

        public NodeId Peer { get; } = peer;

        /// <summary>The derivation number of the session's key.</summary>
        public ulong Key { get; } = key;

        public PeerAddress Address { get; set; }

        public Instant LastUsed { get; set; }

        public bool TryAcceptNonce(byte[] nonce)
        {
            var tag = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(nonce)
                ^ ((ulong)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(nonce.AsSpan(8)) << 17);
            if (_recent.Contains(tag))
            {
                return false;
            }

            _recent.Enqueue(tag);
            if (_recent.Count > window)
            {
                _recent.Dequeue();
            }

            return true;
        }

        public void RememberToken(PeerAddress address, UInt128 token)
        {
            Address = address;
            _token = token;
            _hasToken = true;
        }

        public bool TryGetToken(PeerAddress address, out UInt128 token)
        {
            token = _token;
            return _hasToken && Address == address;
        }
    }

    /// <summary>The reference cache: a most-recent-first list, evicting from its end.</summary>
    private sealed class ModelCache(int capacity, int window)
    {
        public List<ModelSession> Lru { get; } = [];

        public long Derivations { get; set; }

        public Instant Clock { get; set; }

        public bool Contains(ModelSession session) => Lru.Contains(session);

        public int ExpireIdle(Instant cutoff)
        {
            var expired = 0;
            while (Lru.Count > 0 && Lru[^1].LastUsed < cutoff)
            {
                Lru.RemoveAt(Lru.Count - 1);
                expired++;
            }

            return expired;
        }

        public ModelSession? TryGet(NodeId peer)
        {
            var i = Lru.FindIndex(s => s.Peer == peer);
            if (i < 0)
            {
                return null;
            }

            var session = Lru[i];
            Lru.RemoveAt(i);
            Lru.Insert(0, session);
            session.LastUsed = Clock;
            return session;
        }

        public ModelSession Add(NodeId peer, PeerAddress address, ulong key)
        {
            if (TryGet(peer) is { } existing)
            {
                return existing;
            }

            while (Lru.Count >= capacity)
            {
                Lru.RemoveAt(Lru.Count - 1);
            }

            var session = new ModelSession(peer, key, window) { LastUsed = Clock, Address = address };
            Lru.Insert(0, session);
            return session;
        }

        public void Clear() => Lru.Clear();
    }

    /// <summary>
    /// Hands out keys numbered 1, 2, ... in derivation order (the number in the key's first 8 bytes; refuses the zero
    /// id); remembers the last number per peer. Sealing copies the plaintext.
    /// </summary>
    internal sealed class CountingCrypto : ICryptoSuite
    {
        public Dictionary<NodeId, ulong> Keys { get; } = [];

        public ulong Derived { get; private set; }

        /// <summary>The number of the key derived last.</summary>
        public ulong Last => Derived;

        public NodeId LocalId { get; } = new(ulong.MaxValue, 0, 0, 0);

        public bool TryDeriveSessionKey(NodeId remote, out SessionKey key)
        {
            key = default;
            if (remote.IsZero)
            {
                return false;
            }

            Derived++;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(key, Derived);
            Keys[remote] = Derived;
            return true;
        }

        public void Seal(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext) =>
            plaintext.CopyTo(ciphertext);

        public bool TryOpen(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
        {
            ciphertext[..plaintext.Length].CopyTo(plaintext);
            return true;
        }

        public void SignAsNode(ReadOnlySpan<byte> message, Span<byte> signature) => throw new NotSupportedException();

        public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => throw new NotSupportedException();

        public void DeriveLocalSecret(ReadOnlySpan<byte> context, Span<byte> output) => throw new NotSupportedException();

        public void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac) => throw new NotSupportedException();
    }
}
