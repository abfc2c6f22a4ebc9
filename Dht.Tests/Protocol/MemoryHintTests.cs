using Dht.Protocol;
using Dht.Routing;
using Dht.Security;
using Dht.Tests.Security;
using Dht.Tests.Support;
using Dht.Wire;

namespace Dht.Tests.Protocol;

/// <summary>
/// The cache-line hints the engine issues (<see cref="MemoryHint"/>): they must be safe on every state a structure can be
/// in (empty, never grown, cleared) and change nothing. The simulator's pinned traces (SimulatorDeterminismTests) check
/// that runs with hints are the runs without.
/// </summary>
[TestClass]
public sealed class MemoryHintTests
{
    private static readonly PeerAddress Here = PeerAddress.FromIPv4([192, 0, 2, 9], 4000);

    private static NodeId Peer(int i) => new((ulong)i << 56, 0, 0, (ulong)i);

    [TestMethod]
    public void Hints_AreIssuedOnThisMachine()
    {
        // The tests below exercise the hint paths only where hints are on; on x86 (every CI host) they are.
        Assert.AreEqual(System.Runtime.Intrinsics.X86.Sse.IsSupported && Environment.GetEnvironmentVariable("DHT_MEMORY_HINTS") != "0", MemoryHint.Enabled);
    }

    [TestMethod]
    public void SessionChainHint_OnEmptyFullAndClearedCaches_ChangesNothing()
    {
        var cache = new SessionCache(new SessionCacheTests.CountingCrypto(), 4, 8);
        cache.HintChain(Peer(1)); // no entry array yet
        cache.HintChainHead(Peer(1));
        for (var i = 1; i <= 4; i++)
        {
            Assert.IsTrue(cache.TryGetOrCreate(Peer(i), Here, out _));
            cache.HintChain(Peer(100 + i)); // a peer with no session
            cache.HintChainHead(Peer(100 + i));
        }

        // Peer 1 is the least recently used: a hint on it must not count as a use, so the next session evicts it.
        cache.HintChain(Peer(1));
        cache.HintChainHead(Peer(1));
        Assert.IsTrue(cache.TryGetOrCreate(Peer(5), Here, out _));
        Assert.AreEqual(4, cache.Count);
        Assert.IsFalse(cache.Contains(Peer(1)));
        Assert.IsTrue(cache.Contains(Peer(2)));
        cache.Clear();
        cache.HintChain(Peer(6));
        cache.HintChainHead(Peer(2));
        Assert.AreEqual(0, cache.Count);
    }

    [TestMethod]
    public void RoutingHints_OnEmptyAndFilledTables_ChangeNothing()
    {
        var directory = new PeerDirectory();
        var table = new RoutingTable(Peer(0x7F), new RoutingOptions { K = 4 }, directory);
        table.HintBucket(Peer(3)); // no bucket array yet
        table.HintBucketContacts(Peer(3));
        var closest = new List<Contact>();
        Assert.AreEqual(0, table.FindClosest(Peer(3), 4, closest));

        var now = Instant.FromSeconds(3600);
        for (var i = 1; i <= 40; i++)
        {
            table.OnVerifiedReply(Peer(i), PeerAddress.FromIPv4([10, 0, (byte)(i >> 8), (byte)i], 4000), now, TimeSpan.FromMilliseconds(50));
        }

        var count = table.Count;
        var before = new List<Contact>();
        table.FindClosest(Peer(9), 4, before);
        for (var i = 0; i < 300; i++)
        {
            table.HintBucket(Peer(i));
            table.HintBucketContacts(Peer(i));
        }

        var after = new List<Contact>();
        table.FindClosest(Peer(9), 4, after);
        Assert.AreEqual(count, table.Count);
        CollectionAssert.AreEqual(before.Select(c => c.Id).ToList(), after.Select(c => c.Id).ToList());

        table.Clear();
        table.HintBucket(Peer(9));
        table.HintBucketContacts(Peer(9));
        Assert.AreEqual(0, table.FindClosest(Peer(9), 4, closest));
    }

    [TestMethod]
    public void DirectoryHints_ForAnyHandleOrPair_ChangeNothing()
    {
        var directory = new PeerDirectory();
        directory.HintCell(Peer(1), Here); // no index yet
        directory.Hint(0);
        var handle = directory.Acquire(Peer(1), Here);
        foreach (var h in new[] { handle, -1, int.MinValue, int.MaxValue, directory.Capacity, directory.Capacity + 1 })
        {
            directory.Hint(h);
        }

        directory.HintCell(Peer(1), Here);
        directory.HintCell(Peer(2), Here);
        Assert.AreEqual(1, directory.Count);
        Assert.AreEqual(1, directory.ReferencesOf(handle));
        Assert.AreEqual(Peer(1), directory.IdOf(handle));
    }

    /// <summary>
    /// The engine's hint for a datagram it will handle next (the simulator's look-ahead): any bytes, from any address,
    /// are safe, nothing is counted, opened or answered, and the datagram hinted is then handled as if never hinted (its
    /// nonce was not taken).
    /// </summary>
    [TestMethod]
    [DataRow(31UL)]
    public void EngineDatagramHint_AnyContent_ChangesNothing(ulong seed)
    {
        var now = Instant.FromSeconds(10);
        using var crypto = new NSecCryptoSuite(DhtIdentity.Generate());
        using var engine = new DhtEngine(VirtualNetwork.TestOptions(), crypto, seed, now);
        var peer = new WirePeer(DhtIdentity.Generate(), engine.LocalId, Here, seed);
        var ping = peer.Seal(new Message { Type = MessageType.Ping, RequestId = 7 });
        var rng = new Xoshiro256(seed);
        List<byte[]> datagrams = [[], [WireConstants.Version], ping[..WireConstants.SealedHeaderSize], ping];
        for (var i = 0; i < 50; i++)
        {
            var garbage = new byte[rng.NextInt32(WireConstants.MaxDatagramSize + 64)];
            rng.NextBytes(garbage);
            if (i % 2 == 0 && garbage.Length > 1)
            {
                garbage[0] = WireConstants.Version;
                garbage[1] = WireConstants.PacketSealed; // a sealed header with a random sender
            }

            datagrams.Add(garbage);
        }

        foreach (var datagram in datagrams)
        {
            engine.HintDatagram(Here, datagram);
            engine.HintDatagram(default, datagram);
        }

        Assert.AreEqual(0L, engine.Stats.DatagramsReceived, $"seed {seed}");
        Assert.AreEqual(0L, engine.Stats.DroppedTotal, $"seed {seed}");
        Assert.AreEqual(0, engine.Sessions.Count, $"seed {seed}");
        Assert.AreEqual(0, engine.TransmitQueueLength, $"seed {seed}");

        peer.Send(engine, now, ping);
        Assert.AreEqual(0L, engine.Stats.DroppedTotal, $"seed {seed}: drops {string.Join(",", engine.Stats.DropsByReason())}");
        var replies = WirePeer.Drain(engine).Where(d => d.To == Here).ToList();
        var answers = replies.Select(r => peer.OpenMessage(r.Data, $"seed {seed}")).Where(m => !m.IsRequest).ToList();
        Assert.HasCount(1, answers, $"seed {seed}");
        Assert.AreEqual((MessageType.Pong, 7UL), (answers[0].Type, answers[0].RequestId), $"seed {seed}");
    }

    [TestMethod]
    public void QueueTailHint_OnEmptyGrownAndWrappedQueues_ChangesNothing()
    {
        var queue = new RingQueue<int>();
        queue.HintTail(); // no storage yet
        for (var i = 0; i < 10; i++)
        {
            queue.Enqueue(i);
            queue.HintTail();
        }

        for (var i = 0; i < 7; i++)
        {
            Assert.IsTrue(queue.TryDequeue(out var item));
            Assert.AreEqual(i, item);
        }

        for (var i = 10; i < 14; i++)
        {
            queue.Enqueue(i); // wraps around the ring
            queue.HintTail();
        }

        var rest = new List<int>();
        while (queue.TryDequeue(out var item))
        {
            rest.Add(item);
            queue.HintTail();
        }

        CollectionAssert.AreEqual(new[] { 7, 8, 9, 10, 11, 12, 13 }, rest);
    }

    [TestMethod]
    public void RequestTableHints_OnEmptySmallAndLargeTables_ChangeNothing()
    {
        var table = new RequestTable();
        table.HintSlots(); // no slots yet
        table.HintRequests();
        var requests = new List<PendingRequest>();
        for (var id = 1UL; id <= 40; id++)
        {
            var request = PendingRequest.Rent();
            request.RequestId = id;
            requests.Add(request);
            table[id] = request;
            table.HintSlots(); // hinted up to 32 slots, then the table is too large and nothing is hinted
            table.HintRequests();
        }

        Assert.AreEqual(40, table.Count);
        for (var id = 1UL; id <= 40; id++)
        {
            Assert.IsTrue(table.TryGetValue(id, out var found));
            Assert.AreSame(requests[(int)id - 1], found);
        }

        for (var id = 1UL; id <= 40; id++)
        {
            Assert.IsTrue(table.Remove(id));
            table.HintSlots();
            table.HintRequests();
        }

        table.TrimExcess();
        table.HintSlots();
        table.HintRequests();
        Assert.AreEqual(0, table.Count);
        Assert.AreEqual(0, table.Capacity);
        requests.ForEach(PendingRequest.Return);
    }

    [TestMethod]
    public void TimerHeapHint_AtEverySize_ChangesNothing()
    {
        var heap = new TimerHeap();
        heap.HintEntries(); // nothing pending
        for (var i = 0; i < 20; i++)
        {
            heap.Add(100 - i, TimerKind.RequestDeadline, (ulong)i);
            heap.HintEntries(); // hinted up to 16 pending, not past
        }

        var due = new List<ulong>();
        while (heap.TryPopDue(long.MaxValue, out _, out var id))
        {
            due.Add(id);
            heap.HintEntries();
        }

        CollectionAssert.AreEqual(Enumerable.Range(0, 20).Reverse().Select(i => (ulong)i).ToList(), due);
    }

    [TestMethod]
    public void ArrayHints_NeverReadTheArray_SoAWrongArgumentIsOnlyAWastedHint()
    {
        // The address is computed from the reference alone: no null check, no bounds check, nothing read. A hint on a
        // null array, past an array's end or on an empty one must therefore neither throw nor fault.
        MemoryHint.Element<int>(null!, 3);
        MemoryHint.Elements<long>(null!, 4);
        var array = new long[4];
        MemoryHint.Element(array, 0);
        MemoryHint.Element(array, 100);
        MemoryHint.Elements(array, 4);
        MemoryHint.Elements(array, 64);
        MemoryHint.Elements(Array.Empty<long>(), 0);
        MemoryHint.ElementAndHeader<int>(null!, 5);
        MemoryHint.ElementAndHeader(array, 1000);
        MemoryHint.WholeElement<long>(null!, 2);
        MemoryHint.WholeElement(array, -50);
        MemoryHint.Object(null!);
        MemoryHint.Object(array);
        CollectionAssert.AreEqual(new long[4], array);
    }

    [TestMethod]
    public void ContactsHint_OnAMissingBucket_DoesNothing()
    {
        default(KBucket).HintContacts();
        Assert.IsFalse(default(KBucket).Exists);
    }
}
