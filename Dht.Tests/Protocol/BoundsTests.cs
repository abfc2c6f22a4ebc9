using Dht.Protocol;
using Dht.Security;
using Dht.Tests.Support;
using Dht.Wire;

namespace Dht.Tests.Protocol;

/// <summary>
/// Every named engine bound (docs/architecture.md, "Bounds"), hit with small option values, and its documented outcome.
/// Store bounds and option validation are in BoundsTests.Store.cs; ReceiveQueueCapacity in Hosting/ReceiveQueueCapacityTests.cs.
/// </summary>
[TestClass]
public sealed partial class BoundsTests
{
    [TestMethod]
    [DataRow(601UL)]
    public void MaxPendingRequests_Reached_FurtherRequestsFailAtOnceAndLookupMovesOn(ulong seed)
    {
        using var f = new BoundsFixture(seed, o => { o.MaxPendingRequests = 16; o.Alpha = 16; });
        var first = f.Peers(0, 20);
        var op1 = f.Engine.StartBootstrap(f.Now, [.. first.Select(p => (p.Address, (NodeId?)p.Id))]);
        Assert.AreEqual(16, f.Engine.PendingRequests, $"seed {seed}");
        Assert.HasCount(16, WirePeer.Drain(f.Engine), $"seed {seed}");

        // A second lookup finds the table full: each of its candidates fails at once, the next is tried, and it completes.
        var second = f.Peers(20, 5);
        var op2 = f.Engine.StartBootstrap(f.Now, [.. second.Select(p => (p.Address, (NodeId?)p.Id))]);
        Assert.AreEqual(16, f.Engine.PendingRequests, $"seed {seed}");
        Assert.IsEmpty(WirePeer.Drain(f.Engine), $"nothing sent beyond the bound; seed {seed}");
        var done = f.Events().OfType<BootstrapCompleted>().Single();
        Assert.AreEqual(op2, done.OperationId, $"seed {seed}");
        Assert.AreEqual(0, done.Responded, $"seed {seed}");
        Assert.AreEqual(1, f.Engine.ActiveOperations, $"op {op1} still running; seed {seed}");
    }

    [TestMethod]
    [DataRow(602UL)]
    public void MaxPendingRequests_ProbesReached_FurtherProbesNotSent(ulong seed)
    {
        using var f = new BoundsFixture(seed, o => o.MaxPendingRequests = 16);
        var seeds = Enumerable.Range(0, 20).Select(i => (BoundsFixture.AddressOf(i), (NodeId?)null)).ToList();
        f.Engine.StartBootstrap(f.Now, seeds);
        var sent = WirePeer.Drain(f.Engine);
        Assert.HasCount(16, sent, $"seed {seed}");
        Assert.IsTrue(sent.All(d => d.Data[1] == WireConstants.PacketWhoAreYou), $"seed {seed}");
    }

    [TestMethod]
    [DataRow(603UL)]
    public void MaxConcurrentOperations_Reached_NewOperationFailsNamingTheOption(ulong seed)
    {
        using var f = new BoundsFixture(seed, o => o.MaxConcurrentOperations = 1);
        var peer = f.Peers(0, 1)[0];
        var running = f.Engine.StartBootstrap(f.Now, [(peer.Address, (NodeId?)peer.Id)]);
        WirePeer.Drain(f.Engine);

        var record = DhtRecord.CreateImmutable("bounded"u8.ToArray());
        long[] ops =
        [
            f.Engine.StartGet(f.Now, record.Key, 1),
            f.Engine.StartPut(f.Now, record, null),
            f.Engine.StartBootstrap(f.Now, [(BoundsFixture.AddressOf(99), null)]),
        ];
        var failed = f.Events().OfType<OperationFailed>().ToList();
        CollectionAssert.AreEqual(ops, failed.Select(e => e.OperationId).ToList(), $"seed {seed}");
        Assert.IsTrue(failed.All(e => e.Reason.Contains("MaxConcurrentOperations = 1", StringComparison.Ordinal)), $"{failed[0].Reason}; seed {seed}");
        Assert.AreEqual(1, f.Engine.ActiveOperations, $"op {running}; seed {seed}");

        // A failed operation leaves no trace: nothing stored, no probe sent.
        Assert.AreEqual(0, f.Engine.StoredRecords, $"seed {seed}");
        Assert.IsEmpty(WirePeer.Drain(f.Engine), $"seed {seed}");
    }

    [TestMethod]
    [DataRow(604UL)]
    public void MaxTransmitQueue_Reached_DatagramsDroppedAndCounted(ulong seed)
    {
        using var f = new BoundsFixture(seed, o => o.MaxTransmitQueue = 64);
        for (var i = 0; i < 100; i++)
        {
            f.Engine.HandleDatagram(f.Now, BoundsFixture.AddressOf(i), WirePeer.WhoAreYou((ulong)i + 1));
        }

        Assert.AreEqual(64, f.Engine.TransmitQueueLength, $"seed {seed}");
        Assert.AreEqual(36, f.Engine.Stats.TransmitQueueDrops, $"seed {seed}");
        Assert.HasCount(64, WirePeer.Drain(f.Engine), $"seed {seed}");

        f.Engine.HandleDatagram(f.Now, BoundsFixture.AddressOf(100), WirePeer.WhoAreYou(101));
        Assert.AreEqual(1, f.Engine.TransmitQueueLength, $"room again once drained; seed {seed}");
        Assert.AreEqual(36, f.Engine.Stats.TransmitQueueDrops, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(605UL)]
    public void MaxSessions_ManyPeers_CacheNeverExceedsIt(ulong seed)
    {
        using var f = new BoundsFixture(seed, o => o.MaxSessions = 16);
        foreach (var peer in f.Peers(0, 40))
        {
            peer.Send(f.Engine, f.Now, peer.Seal(new Message { Type = MessageType.Ping, RequestId = 1 }));
            Assert.IsLessThanOrEqualTo(16, f.Engine.SessionCount, $"seed {seed}");
            var answers = WirePeer.Drain(f.Engine).Where(d => d.To == peer.Address).Select(d => peer.OpenMessage(d.Data, $"seed {seed}"));
            Assert.IsTrue(answers.Any(m => m.Type == MessageType.Pong), $"seed {seed}");
        }

        Assert.AreEqual(16, f.Engine.SessionCount, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(606UL)]
    public void NewSessionsPerSecond_BurstBeyondBudget_RateLimitedThenRefillsWithTime(ulong seed)
    {
        using var f = new BoundsFixture(seed, o => o.NewSessionsPerSecond = 5);
        var peers = f.Peers(0, 12);
        int Ping(IEnumerable<WirePeer> who, Instant at)
        {
            var answered = 0;
            foreach (var peer in who)
            {
                peer.Send(f.Engine, at, peer.Seal(new Message { Type = MessageType.Ping, RequestId = 1 }));
                answered += WirePeer.Drain(f.Engine).Count(d => d.To == peer.Address) > 0 ? 1 : 0;
            }

            return answered;
        }

        Assert.AreEqual(5, Ping(peers, f.Now), $"one instant: the bucket's depth; seed {seed}");
        Assert.AreEqual(7, f.Engine.Stats.Dropped(DropReason.RateLimited), $"seed {seed}");
        Assert.AreEqual(5, Ping(peers.Take(5), f.Now), $"known peers are not limited; seed {seed}");
        Assert.AreEqual(7, f.Engine.Stats.Dropped(DropReason.RateLimited), $"seed {seed}");

        Assert.AreEqual(2, Ping(peers.Skip(5), f.Now + TimeSpan.FromSeconds(0.5)), $"half a second: 2.5 new sessions; seed {seed}");
        Assert.AreEqual(12, f.Engine.Stats.Dropped(DropReason.RateLimited), $"seed {seed}");
        Assert.AreEqual(5, Ping(peers.Skip(7), f.Now + TimeSpan.FromSeconds(10)), $"refilled, capped at the depth; seed {seed}");
        Assert.AreEqual(12, f.Engine.Stats.Dropped(DropReason.RateLimited), $"seed {seed}");
    }

    [TestMethod]
    [DataRow(607UL, 0)]
    [DataRow(607UL, 2)]
    public void MaxVerificationsInFlight_Reached_UnknownRequestersNotPinged(ulong seed, int max)
    {
        using var f = new BoundsFixture(seed, o => o.MaxVerificationsInFlight = max);
        var peers = f.Peers(0, 6);
        var pinged = new List<Message>();
        foreach (var peer in peers.Take(5))
        {
            peer.Send(f.Engine, f.Now, peer.Seal(new Message { Type = MessageType.Ping, RequestId = 1 }));
            var ping = WirePeer.Drain(f.Engine).Where(d => d.To == peer.Address).Select(d => peer.OpenMessage(d.Data, $"seed {seed}"))
                .SingleOrDefault(m => m.Type == MessageType.Ping);
            Assert.AreEqual(pinged.Count < max, ping is not null, $"peer {pinged.Count}; max {max}; seed {seed}");
            if (ping is not null)
            {
                pinged.Add(ping);
            }
        }

        Assert.AreEqual(0, f.Engine.RoutingTableSize, $"seed {seed}");
        if (max == 0)
        {
            return;
        }

        // The first verification is answered: the peer is admitted and a slot frees for the next unknown requester.
        var first = peers[0];
        first.Send(f.Engine, f.Now, first.Seal(new Message { Type = MessageType.Pong, RequestId = pinged[0].RequestId, ObservedAddress = first.Address }));
        Assert.AreEqual(1, f.Engine.RoutingTableSize, $"seed {seed}");
        peers[5].Send(f.Engine, f.Now, peers[5].Seal(new Message { Type = MessageType.Ping, RequestId = 1 }));
        var sent = WirePeer.Drain(f.Engine).Where(d => d.To == peers[5].Address).Select(d => peers[5].OpenMessage(d.Data, $"seed {seed}"));
        Assert.IsTrue(sent.Any(m => m.Type == MessageType.Ping), $"seed {seed}");
    }

    [TestMethod]
    [DataRow(612UL)]
    public void VerificationSet_EmptiedByAnswers_DroppedOnTheNextTickAndCreatedAgainOnNeed(ulong seed)
    {
        using var f = new BoundsFixture(seed, o => o.MaintenanceInterval = TimeSpan.FromSeconds(30));
        var peers = f.Peers(0, 3);
        Assert.IsFalse(f.Engine.HoldsVerificationSets, $"created on first use; seed {seed}");

        // Two unknown requesters are pinged; both answer, so the set is empty again but still allocated.
        foreach (var peer in peers.Take(2))
        {
            peer.Send(f.Engine, f.Now, peer.Seal(new Message { Type = MessageType.Ping, RequestId = 1 }));
            var ping = WirePeer.Drain(f.Engine).Where(d => d.To == peer.Address).Select(d => peer.OpenMessage(d.Data, $"seed {seed}"))
                .Single(m => m.Type == MessageType.Ping);
            peer.Send(f.Engine, f.Now, peer.Seal(new Message { Type = MessageType.Pong, RequestId = ping.RequestId, ObservedAddress = peer.Address }));
        }

        Assert.AreEqual(2, f.Engine.RoutingTableSize, $"seed {seed}");
        Assert.IsTrue(f.Engine.HoldsVerificationSets, $"seed {seed}");

        // The next maintenance tick drops the empty set; the next unknown requester is verified as before.
        f.RunUntil(() => false, TimeSpan.FromSeconds(31), null);
        Assert.IsFalse(f.Engine.HoldsVerificationSets, $"seed {seed}");
        peers[2].Send(f.Engine, f.Now, peers[2].Seal(new Message { Type = MessageType.Ping, RequestId = 1 }));
        var sent = WirePeer.Drain(f.Engine).Where(d => d.To == peers[2].Address).Select(d => peers[2].OpenMessage(d.Data, $"seed {seed}"));
        Assert.IsTrue(sent.Any(m => m.Type == MessageType.Ping), $"seed {seed}");
        Assert.IsTrue(f.Engine.HoldsVerificationSets, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(608UL)]
    public void MaxLookupCandidates_MoreSeedsThanBound_OnlyTheClosestAreAsked(ulong seed)
    {
        using var f = new BoundsFixture(seed, o => { o.MaxLookupCandidates = 20; o.Alpha = 1; });
        var peers = f.Peers(0, 30);
        var op = f.Engine.StartBootstrap(f.Now, [.. peers.Select(p => (p.Address, (NodeId?)p.Id))]);
        var asked = new HashSet<PeerAddress>();
        f.RunUntil(() => f.Collected.OfType<BootstrapCompleted>().Any(), TimeSpan.FromMinutes(2), d => asked.Add(d.To));

        var expected = peers.OrderBy(p => p.Id.Xor(f.Engine.LocalId)).Take(20).Select(p => p.Address).ToHashSet();
        Assert.IsTrue(expected.SetEquals(asked), $"{asked.Count} asked; op {op}; seed {seed}");
    }

    [TestMethod]
    [DataRow(609UL, 1)]
    [DataRow(609UL, 16)]
    public void MaxMaintenanceOperations_ManyBucketsDue_AtMostThatManyPerTickRestWaitForNextTick(ulong seed, int max)
    {
        // Ticks every 5 min; a bucket falls due 10 to 15 min after its last use, so every bucket is due at the third
        // tick (15 min) and none before the second (10 min) at the earliest.
        var interval = TimeSpan.FromMinutes(5);
        using var f = new BoundsFixture(seed, o =>
        {
            o.MaxMaintenanceOperations = max;
            o.MaintenanceInterval = interval;
            o.Routing.BucketRefreshInterval = TimeSpan.FromMinutes(10);
        });
        f.RunToFirstTick(); // the test starts at the first tick, so ticks come every 5 min from start
        var peers = f.Peers(0, 40);
        foreach (var p in peers)
        {
            f.Engine.Routing.OnVerifiedReply(p.Id, p.Address, f.Now, TimeSpan.FromMilliseconds(50));
        }

        var buckets = peers.Select(p => p.Id.CommonPrefixLength(f.Engine.LocalId)).Distinct().Count();
        Assert.IsGreaterThanOrEqualTo(3, buckets, $"seed {seed}");
        var start = f.Now;
        Assert.AreEqual(buckets, f.Engine.Routing.CountDueBuckets(start + (interval * 3)), $"seed {seed}");

        var started = 0L;
        // Ticks 2 to 4 (10 to 20 min): no bucket refreshed at 15 min is due again before 25 min.
        for (var tick = 2; tick <= 4; tick++)
        {
            f.RunUntil(() => false, start + (interval * tick) - f.Now - TimeSpan.FromTicks(1), null);
            Assert.AreEqual(0, f.Engine.ActiveOperations, $"previous refreshes finished before tick {tick}; seed {seed}");
            var due = f.Engine.Routing.CountDueBuckets(f.Now + TimeSpan.FromTicks(1));
            f.RunUntil(() => false, TimeSpan.FromTicks(1), null);
            var expected = Math.Min(due, max);
            Assert.AreEqual(expected, f.Engine.ActiveOperations, $"tick {tick}; {due} buckets due; max {max}; seed {seed}");
            Assert.AreEqual(started + expected, f.Engine.Stats.BucketRefreshes, $"tick {tick}; seed {seed}");
            Assert.AreEqual(due - expected, f.Engine.Routing.CountDueBuckets(f.Now), $"the rest stay due; tick {tick}; seed {seed}");
            started = f.Engine.Stats.BucketRefreshes;
            if (tick == 3)
            {
                Assert.AreEqual(buckets - (started - expected), due, $"every bucket not refreshed at tick 2 is due at tick 3; seed {seed}");
            }
        }

        Assert.AreEqual(Math.Min(buckets, 2 * max), f.Engine.Stats.BucketRefreshes, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(611UL)]
    public void TimerHeapAndTables_AfterABurstOfRequests_GiveTheirMemoryBackOnTheNextQuietTick(ulong seed)
    {
        using var f = new BoundsFixture(seed, o =>
        {
            o.Alpha = 16;
            o.MaintenanceInterval = TimeSpan.FromSeconds(30);
            o.Routing.BucketRefreshInterval = TimeSpan.FromHours(2); // no refresh lookup in the quiet half hour below
        });
        var peers = f.Peers(0, 24);
        foreach (var p in peers)
        {
            f.Engine.Routing.OnVerifiedReply(p.Id, p.Address, f.Now, TimeSpan.FromMilliseconds(50));
        }

        // Nine lookups at once, so the operation table grows past 8 slots too.
        var ops = Enumerable.Range(30, 9).Select(i => f.Engine.StartLookup(f.Now, f.Peers(i, 1)[0].Id)).ToList();
        var grown = f.Engine.TimerCapacity;
        Assert.IsGreaterThanOrEqualTo(32, grown, $"16 requests with two deadlines each; seed {seed}");
        var grownTables = f.Engine.BufferCapacities;
        Assert.IsGreaterThanOrEqualTo(16, grownTables.Pending, $"16 requests pending; seed {seed}");
        Assert.IsGreaterThanOrEqualTo(9, grownTables.Operations, $"9 lookups running; seed {seed}");
        Assert.IsGreaterThanOrEqualTo(16, grownTables.Transmit, $"16 datagrams queued; seed {seed}");

        // Nobody answers: the requests time out, the lookup ends at its deadline (60 s), and the next maintenance tick
        // gives the empty tables back. The timer heap is kept through the 10 minutes in which it was used (the first
        // decision, at the 10-minute tick, sees the burst) and trimmed at the end of the next 10, quiet throughout.
        f.RunUntil(() => false, TimeSpan.FromSeconds(95), null);
        Assert.IsTrue(ops.All(op => f.Collected.OfType<LookupCompleted>().Any(e => e.OperationId == op)), $"seed {seed}");
        Assert.AreEqual(0, f.Engine.PendingRequests, $"seed {seed}");
        Assert.AreEqual(0, f.Engine.ActiveOperations, $"seed {seed}");
        Assert.AreEqual(grown, f.Engine.TimerCapacity, $"seed {seed}");
        f.RunUntil(() => false, TimeSpan.FromMinutes(18), null);
        Assert.AreEqual(grown, f.Engine.TimerCapacity, $"at {f.Now}: the quiet window has not ended; seed {seed}");
        f.RunUntil(() => false, TimeSpan.FromMinutes(1.5), null);
        Assert.IsLessThan(16, f.Engine.TimerCapacity, $"capacity {f.Engine.TimerCapacity} after {grown}; seed {seed}");
        var trimmed = f.Engine.BufferCapacities;
        Assert.IsLessThan(8, trimmed.Pending, $"{trimmed} after {grownTables}; seed {seed}");
        Assert.IsLessThan(8, trimmed.Operations, $"{trimmed} after {grownTables}; seed {seed}");
        Assert.IsLessThan(8, trimmed.Transmit, $"{trimmed} after {grownTables}; seed {seed}");
        Assert.IsLessThan(8, trimmed.Events, $"{trimmed} after {grownTables}; seed {seed}");

        // The heap still works after trimming: a new burst grows it again and its timers still fire.
        var again = f.Engine.StartLookup(f.Now, f.Peers(31, 1)[0].Id);
        f.RunUntil(() => false, TimeSpan.FromSeconds(95), null);
        Assert.IsTrue(f.Collected.OfType<LookupCompleted>().Any(e => e.OperationId == again), $"seed {seed}");
        Assert.AreEqual(0, f.Engine.PendingRequests, $"seed {seed}");
    }

    /// <summary>
    /// Engines created at the same instant (a fleet restarted at once, the simulator's warm start) must not tick in step:
    /// each tick starts the bucket refreshes that fell due since the last, so in step they would all start together.
    /// </summary>
    [TestMethod]
    public void FirstMaintenanceTick_EnginesCreatedTogether_ComeAtSpreadPointsOfTheFirstInterval()
    {
        var interval = TimeSpan.FromSeconds(30);
        var firsts = new List<Instant>();
        Instant created = default;
        for (var seed = 700UL; seed < 740UL; seed++)
        {
            using var f = new BoundsFixture(seed, o => o.MaintenanceInterval = interval);
            created = f.Now;
            var first = f.Engine.PollTimeout()!.Value;
            Assert.IsTrue(first > f.Now && first <= f.Now + interval, $"first tick at {first}, created at {f.Now}; seed {seed}");
            firsts.Add(first);

            // From the first tick on, the ticks keep their interval.
            f.RunToFirstTick();
            Assert.AreEqual(first + interval, f.Engine.PollTimeout(), $"seed {seed}");
        }

        Assert.AreEqual(firsts.Count, firsts.Distinct().Count(), "40 engines, 40 phases");
        var quarters = firsts.GroupBy(t => (int)((t - created).Ticks * 4 / (interval.Ticks + 1))).Count();
        Assert.AreEqual(4, quarters, "every quarter of the interval holds some first ticks");
    }

    [TestMethod]
    [DataRow(612UL)]
    public void SessionIdleTimeout_PeerQuietThatLong_SessionDroppedOnTheNextTickAndDerivedAgainWhenItReturns(ulong seed)
    {
        using var f = new BoundsFixture(seed, o =>
        {
            o.MaintenanceInterval = TimeSpan.FromSeconds(30);
            o.SessionIdleTimeout = TimeSpan.FromMinutes(2);
        });
        f.RunToFirstTick();
        var peers = f.Peers(0, 3);
        bool Answered(WirePeer peer, ulong id)
        {
            peer.Send(f.Engine, f.Now, peer.Seal(new Message { Type = MessageType.Ping, RequestId = id }));
            return WirePeer.Drain(f.Engine).Any(d => d.To == peer.Address && peer.OpenMessage(d.Data, $"seed {seed}").Type == MessageType.Pong);
        }

        Assert.IsTrue(Answered(peers[0], 1));
        Assert.IsTrue(Answered(peers[1], 2));
        Assert.AreEqual(2, f.Engine.SessionCount, $"seed {seed}");

        // Ticks come 30 s, 60 s, ... after the first tick, where the test starts. Peer 1 speaks again after a minute; the first tick more than two
        // minutes after peer 0 last spoke (at 150 s) drops its session only.
        f.RunUntil(() => false, TimeSpan.FromSeconds(60), null);
        Assert.IsTrue(Answered(peers[1], 3));
        f.RunUntil(() => false, TimeSpan.FromSeconds(89), null);
        Assert.AreEqual(2, f.Engine.SessionCount, $"seed {seed}");
        f.RunUntil(() => false, TimeSpan.FromSeconds(2), null);
        Assert.AreEqual(1, f.Engine.SessionCount, $"seed {seed}");

        // A dropped peer is served as before, through a session derived again.
        Assert.IsTrue(Answered(peers[0], 4));
        Assert.AreEqual(2, f.Engine.SessionCount, $"seed {seed}");
        f.RunUntil(() => false, TimeSpan.FromMinutes(3), null);
        Assert.AreEqual(0, f.Engine.SessionCount, $"seed {seed}");
        Assert.IsTrue(Answered(peers[2], 5));
    }

    [TestMethod]
    [DataRow(610UL, 1)]
    [DataRow(610UL, 4)]
    public void ReplayWindow_SameDatagramAgain_DroppedWithinWindowAnsweredAfterItSlidesOut(ulong seed, int window)
    {
        using var f = new BoundsFixture(seed, o => o.ReplayWindow = window);
        var peer = f.Peers(0, 1)[0];
        var replayed = peer.Seal(new Message { Type = MessageType.Ping, RequestId = 1 });
        bool Answered(byte[] datagram)
        {
            peer.Send(f.Engine, f.Now, datagram);
            return WirePeer.Drain(f.Engine).Any(d => d.To == peer.Address && peer.OpenMessage(d.Data, $"seed {seed}").Type == MessageType.Pong);
        }

        Assert.IsTrue(Answered(replayed), $"seed {seed}");
        Assert.IsFalse(Answered(replayed), $"seed {seed}");
        for (var i = 1; i < window; i++)
        {
            Assert.IsTrue(Answered(peer.Seal(new Message { Type = MessageType.Ping, RequestId = (ulong)i + 1 })), $"seed {seed}");
        }

        Assert.IsFalse(Answered(replayed), $"still in the window; window {window}; seed {seed}");
        Assert.AreEqual(2, f.Engine.Stats.Dropped(DropReason.Replay), $"seed {seed}");
        Assert.IsTrue(Answered(peer.Seal(new Message { Type = MessageType.Ping, RequestId = 100 })), $"seed {seed}");
        Assert.IsTrue(Answered(replayed), $"forgotten; window {window}; seed {seed}");
    }
}

/// <summary>An engine with a deterministic identity and seeded peers (real keys, distinct addresses) that talk to it.</summary>
internal sealed class BoundsFixture : IDisposable
{
    private readonly List<WirePeer> _peers = [];
    private readonly ulong _seed;

    /// <summary>
    /// Runs to the engine's first maintenance tick, which comes at a random point of the first interval, so a test
    /// can count the ticks from there.
    /// </summary>
    public void RunToFirstTick() => RunUntil(() => false, Engine.PollTimeout()!.Value - Now, null);

    /// <param name="seed">Seeds the identities and the engine.</param>
    /// <param name="configure">Changes the test options.</param>
    /// <param name="wrapCrypto">Wraps the engine's suite (to count calls), or null.</param>
    /// <param name="store">The engine's record store, or null for an in-memory one.</param>
    public BoundsFixture(ulong seed, Action<EngineOptions> configure, Func<NSecCryptoSuite, ICryptoSuite>? wrapCrypto = null, IRecordStore? store = null)
    {
        _seed = seed;
        var options = VirtualNetwork.TestOptions();
        configure(options);
        Identity = IdentityFor(seed, ulong.MaxValue); // peers use 1, 2, ...
        Crypto = new NSecCryptoSuite(Identity);
        EngineCrypto = wrapCrypto?.Invoke(Crypto) ?? Crypto;
        Engine = new DhtEngine(options, EngineCrypto, seed, Now, store);
    }

    /// <summary>The suite the engine was given: <see cref="Crypto"/>, or its wrapper.</summary>
    public ICryptoSuite EngineCrypto { get; }

    public Instant Now { get; private set; } = Instant.FromSeconds(50);

    public DhtIdentity Identity { get; }

    public NSecCryptoSuite Crypto { get; }

    public DhtEngine Engine { get; }

    /// <summary>Events drained by <see cref="RunUntil"/>.</summary>
    public List<EngineEvent> Collected { get; } = [];

    public static PeerAddress AddressOf(int i) => PeerAddress.FromIPv4([198, 18, (byte)(i >> 8), (byte)(i + 1)], 5000);

    public static DhtIdentity IdentityFor(ulong seed, ulong index)
    {
        var bytes = new byte[DhtIdentity.SeedSize];
        new Xoshiro256(seed ^ (index * 0x9E3779B97F4A7C15UL)).NextBytes(bytes);
        return DhtIdentity.FromSeed(bytes);
    }

    /// <summary>Peers <paramref name="first"/> .. first + count - 1 (same index, same peer).</summary>
    public List<WirePeer> Peers(int first, int count)
    {
        while (_peers.Count < first + count)
        {
            var i = _peers.Count;
            _peers.Add(new WirePeer(IdentityFor(_seed, (ulong)i + 1), Engine.LocalId, AddressOf(i), _seed + (ulong)i));
        }

        return _peers.GetRange(first, count);
    }

    public List<EngineEvent> Events()
    {
        var events = new List<EngineEvent>();
        while (Engine.TryPollEvent(out var e))
        {
            events.Add(e!);
        }

        return events;
    }

    /// <summary>Fires the engine's timers in order, draining transmits (to <paramref name="onSend"/>) and events, until done or out of time.</summary>
    public void RunUntil(Func<bool> done, TimeSpan limit, Action<(PeerAddress To, byte[] Data)>? onSend)
    {
        var end = Now + limit;
        while (true)
        {
            foreach (var d in WirePeer.Drain(Engine))
            {
                onSend?.Invoke(d);
            }

            Collected.AddRange(Events());
            if (done())
            {
                return;
            }

            if (Engine.PollTimeout() is not { } next || next > end)
            {
                Now = end > Now ? end : Now;
                return;
            }

            Now = next > Now ? next : Now;
            Engine.HandleTimeout(Now);
        }
    }

    public void Dispose()
    {
        foreach (var p in _peers)
        {
            p.Dispose();
            p.Identity.Dispose();
        }

        Engine.Dispose();
        Crypto.Dispose();
        Identity.Dispose();
    }
}
