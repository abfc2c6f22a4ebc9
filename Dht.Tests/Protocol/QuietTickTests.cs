using Dht.Protocol;
using Dht.Tests.Support;

namespace Dht.Tests.Protocol;

/// <summary>
/// A maintenance tick with no input since the last full one, before the earliest bound the full one left, only
/// schedules the next tick. These tests run the same network twice, once with every tick in full, and require the same
/// datagrams, byte for byte and in order, and the same state at the end: skipping may never change what an engine does.
/// </summary>
[TestClass]
public sealed class QuietTickTests
{
    /// <summary>
    /// Short intervals so that every maintenance step falls due many times in a few simulated hours: records expire
    /// (TTL), the publisher republishes, storers replicate, buckets refresh, idle sessions go, the timer-trim window ends.
    /// </summary>
    private static EngineOptions Options() => new()
    {
        K = 4,
        RecordTtl = TimeSpan.FromMinutes(25),
        RepublishInterval = TimeSpan.FromMinutes(11),
        ReplicationInterval = TimeSpan.FromMinutes(7),
        MaintenanceInterval = TimeSpan.FromSeconds(30),
        SessionIdleTimeout = TimeSpan.FromMinutes(3),
        Routing = new Dht.Routing.RoutingOptions
        {
            K = 4,
            BucketRefreshInterval = TimeSpan.FromMinutes(9),
            MaxContactsPerSubnetInTable = 0,
            MaxContactsPerSubnetPerBucket = 0,
        },
    };

    [TestMethod]
    [DataRow(31UL)]
    [DataRow(32UL)]
    public void QuietTicksSkipped_SameDatagramsAndStateAsEveryTickInFull(ulong seed)
    {
        var (skippingSent, skippingState) = Run(seed, fullTicks: false);
        var (fullSent, fullState) = Run(seed, fullTicks: true);

        Assert.IsGreaterThan(1_000, fullSent.Count, $"the run exercises the network; seed {seed}");
        for (var i = 0; i < Math.Min(skippingSent.Count, fullSent.Count); i++)
        {
            Assert.AreEqual(fullSent[i], skippingSent[i], $"datagram {i} of {fullSent.Count} differs; seed {seed}");
        }

        Assert.AreEqual(fullSent.Count, skippingSent.Count, $"seed {seed}");
        Assert.AreEqual(fullState.Count, skippingState.Count, $"seed {seed}");
        for (var i = 0; i < fullState.Count; i++)
        {
            Assert.AreEqual(fullState[i], skippingState[i], $"state at snapshot {i}; seed {seed}");
        }
    }

    private static (List<string> Sent, List<string> State) Run(ulong seed, bool fullTicks)
    {
        using var net = new VirtualNetwork(seed) { RecordSent = true, FullTicks = fullTicks };
        var nodes = new List<VirtualNode>();
        for (var i = 0; i < 10; i++)
        {
            var node = net.AddNode(Options());
            if (nodes.Count > 0)
            {
                var op = node.Engine.StartBootstrap(net.Now, [(nodes[0].Address, (NodeId?)nodes[0].Id)]);
                Assert.IsTrue(net.RunUntil(() => node.Completed<BootstrapCompleted>(op) is not null, TimeSpan.FromMinutes(2)), $"bootstrap; seed {seed}");
            }

            nodes.Add(node);
        }

        // Records from three publishers; one publisher leaves (its records then live on their storers until their TTL,
        // with replication between them), and a storer crashes later.
        for (var i = 0; i < 3; i++)
        {
            var record = DhtRecord.CreateImmutable(System.Text.Encoding.UTF8.GetBytes($"quiet tick record {i} of seed {seed}"));
            var op = nodes[i + 1].Engine.StartPut(net.Now, record, null);
            Assert.IsTrue(net.RunUntil(() => nodes[i + 1].Completed<PutCompleted>(op) is not null, TimeSpan.FromMinutes(2)), $"put; seed {seed}");
        }

        // The state every 10 simulated seconds, so that a step a skipped tick only delays (an expired record removed,
        // a table trimmed a few ticks late) shows too, not only what changes the datagrams.
        var state = new List<string>();
        void RunAndWatch(TimeSpan duration)
        {
            for (var t = TimeSpan.Zero; t < duration; t += TimeSpan.FromSeconds(10))
            {
                net.RunFor(TimeSpan.FromSeconds(10));
                state.Add($"{net.Now}: " + string.Join(" | ", nodes.Select(Snapshot)));
            }
        }

        RunAndWatch(TimeSpan.FromMinutes(20));
        net.Stop(nodes[2]);
        RunAndWatch(TimeSpan.FromMinutes(40));
        net.Stop(nodes[7]);
        RunAndWatch(TimeSpan.FromMinutes(100));

        var sent = net.Sent.Select(d => $"{d.From}>{d.To}:{Convert.ToHexString(d.Data)}").ToList();
        return (sent, state);

        static string Snapshot(VirtualNode n)
        {
            var e = n.Engine;
            ref readonly var stats = ref e.Stats;
            return $"{n.Address}: records {e.StoredRecords}, sessions {e.SessionCount}, table {e.RoutingTableSize}, "
                + $"ops {e.ActiveOperations}, pending {e.PendingRequests}, timers {e.Timers}, timer slots {e.TimerCapacity}, "
                + $"buffers {e.BufferCapacities}, refreshes {stats.BucketRefreshes}, sent {stats.DatagramsSent}, "
                + $"received {stats.DatagramsReceived}";
        }
    }

    /// <summary>
    /// An engine alone, with a record stored for a peer and no input after that: most of its ticks are quiet, and the
    /// record still goes on the first tick at or after its expiry (the storage's bound is among those a tick checks).
    /// A driver's clock may read below zero (any monotonic clock will do): the engine then starts there.
    /// </summary>
    [TestMethod]
    [DataRow(33UL, 97, 10)]
    [DataRow(34UL, 1_234, 10)]
    [DataRow(35UL, 97, -3_600)]
    public void RecordStoredForAPeer_NoInputAfter_RemovedOnTheFirstTickAtItsExpiry(ulong seed, int ttlSeconds, int startSeconds)
    {
        using var identity = DhtIdentity.FromSeed(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(seed)));
        using var crypto = new Dht.Security.NSecCryptoSuite(identity);
        using var engine = new DhtEngine(Options(), crypto, seed, new Instant(startSeconds * TimeSpan.TicksPerSecond));
        var record = DhtRecord.CreateImmutable(System.Text.Encoding.UTF8.GetBytes($"expires alone, seed {seed}"));
        var storedAt = engine.PollTimeout()!.Value;
        engine.HandleTimeout(storedAt);
        var source = new NodeId(System.Security.Cryptography.SHA256.HashData("a peer"u8));
        Assert.AreEqual(RecordRejection.None, engine.Storage.TryStore(record, null, source, isLocal: false, storedAt, TimeSpan.FromSeconds(ttlSeconds)));
        var expiry = storedAt + TimeSpan.FromSeconds(ttlSeconds);

        var ticks = 0;
        while (engine.PollTimeout() is { } next && next < expiry + TimeSpan.FromMinutes(30))
        {
            engine.HandleTimeout(next);
            ticks++;
            Assert.AreEqual(next < expiry ? 1 : 0, engine.StoredRecords, $"tick at {next}, expiry {expiry}; seed {seed}");
        }

        Assert.IsGreaterThan(60, ticks, $"seed {seed}");
    }
}
