using Dht.Lookup;
using Dht.Protocol;
using Dht.Tests.Support;

namespace Dht.Tests.Protocol;

[TestClass]
public sealed class EngineNetworkTests
{
    private static VirtualNetwork BuildNetwork(ulong seed, int count, out List<VirtualNode> nodes)
    {
        var net = new VirtualNetwork(seed);
        nodes = [];
        for (var i = 0; i < count; i++)
        {
            nodes.Add(net.AddNode());
        }

        var seedNode = nodes[0];
        foreach (var node in nodes.Skip(1))
        {
            var op = node.Engine.StartBootstrap(net.Now, [(seedNode.Address, (NodeId?)null)]);
            Assert.IsTrue(net.RunUntil(() => node.Completed<BootstrapCompleted>(op) is not null, TimeSpan.FromSeconds(120)), $"bootstrap timed out, seed {seed}");
        }

        // Let verification pings and refreshes settle.
        net.RunFor(TimeSpan.FromSeconds(5));
        return net;
    }

    /// <summary>Adds <paramref name="count"/> nodes with bucket size and answer size <paramref name="k"/>.</summary>
    private static List<VirtualNode> AddNodes(VirtualNetwork net, int count, int k, int? putReturnQuorum = null)
    {
        var nodes = new List<VirtualNode>();
        for (var i = 0; i < count; i++)
        {
            var options = VirtualNetwork.TestOptions();
            options.K = k;
            options.Routing.K = k;
            options.PutReturnQuorum = putReturnQuorum;
            nodes.Add(net.AddNode(options));
        }

        return nodes;
    }

    /// <summary>Bootstraps each of <paramref name="nodes"/> in turn through <paramref name="seedNode"/> (id known).</summary>
    private static void BootstrapThrough(VirtualNetwork net, VirtualNode seedNode, IEnumerable<VirtualNode> nodes, ulong seed)
    {
        foreach (var node in nodes)
        {
            RunToCompletion<BootstrapCompleted>(net, node, node.Engine.StartBootstrap(net.Now, [(seedNode.Address, (NodeId?)seedNode.Id)]), seed);
        }
    }

    private static T RunToCompletion<T>(VirtualNetwork net, VirtualNode node, long operation, ulong seed)
        where T : EngineEvent
    {
        Assert.IsTrue(net.RunUntil(() => node.Completed<T>(operation) is not null, TimeSpan.FromMinutes(1)), $"{typeof(T).Name} timed out; seed {seed}");
        return node.Completed<T>(operation)!;
    }

    [TestMethod]
    [DataRow(1UL)]
    [DataRow(2UL)]
    public void Bootstrap_ThroughOneSeed_EveryNodeLearnsContacts(ulong seed)
    {
        using var net = BuildNetwork(seed, 30, out var nodes);
        foreach (var node in nodes)
        {
            Assert.IsGreaterThanOrEqualTo(5, node.Engine.RoutingTableSize, $"node {node.Id} has {node.Engine.RoutingTableSize} contacts; seed {seed}");
        }
    }

    /// <summary>
    /// With k = 64, a NODES answer listing 45 IPv4 contacts (39 bytes each) does not fit one datagram, so it is sent in
    /// parts. A node that knows only the seed learns every other node from those parts alone: if a part were lost, or
    /// carried another part's contacts, the lookup would miss the nodes listed in it.
    /// </summary>
    [TestMethod]
    [DataRow(8UL)]
    [DataRow(9UL)]
    public void FindNode_AnswerSplitAcrossDatagrams_RequesterLearnsEveryContact(ulong seed)
    {
        using var net = new VirtualNetwork(seed);
        var nodes = AddNodes(net, 46, k: 64);
        var newcomer = nodes[^1];
        BootstrapThrough(net, nodes[0], nodes.Skip(1).SkipLast(1), seed);

        // A first, unvalidated request leaves the seed no room in its 3x budget to verify the requester once its answer is
        // large; a second one, carrying the address token, does. Lookups toward the seed's id reach it again.
        foreach (var node in nodes.Skip(1).SkipLast(1))
        {
            RunToCompletion<LookupCompleted>(net, node, node.Engine.StartLookup(net.Now, nodes[0].Id), seed);
        }

        net.RunFor(TimeSpan.FromSeconds(5));
        Assert.IsGreaterThan(39, nodes[0].Engine.RoutingTableSize, $"the seed knows {nodes[0].Engine.RoutingTableSize}; its answer must need more than one datagram; seed {seed}");

        var target = new NodeId(new Xoshiro256(seed).NextUInt64(), 1, 2, 3);
        BootstrapThrough(net, nodes[0], [newcomer], seed);
        var lookup = RunToCompletion<LookupCompleted>(net, newcomer, newcomer.Engine.StartLookup(net.Now, target), seed);

        var expected = nodes.Where(n => n != newcomer).OrderBy(n => n.Id.Xor(target)).Select(n => n.Id).ToList();
        CollectionAssert.AreEqual(expected, lookup.Closest.ToList(), $"seed {seed}");
    }

    /// <summary>
    /// The lookup-details sink (the simulator's recall and rounds-to-closest metrics) is called once per finished lookup
    /// operation, before its event, with the lookup's candidates closest first: they include every node the event names,
    /// each learned in a round no deeper than the lookup went; GETs and PUTs never call it.
    /// </summary>
    [TestMethod]
    [DataRow(11UL)]
    [DataRow(12UL)]
    public void LookupDetails_EachFinishedLookupOnce_CandidatesClosestFirst(ulong seed)
    {
        using var net = new VirtualNetwork(seed);
        var calls = new List<(long Op, NodeId Target, LookupCandidate[] Candidates, bool EventQueued)>();
        VirtualNode? asker = null;
        var options = VirtualNetwork.TestOptions();
        options.LookupDetails = (op, target, candidates) =>
            calls.Add((op, target, candidates.ToArray(), asker!.Completed<LookupCompleted>(op) is not null));
        var nodes = AddNodes(net, 25, k: 8);
        asker = net.AddNode(options);
        BootstrapThrough(net, nodes[0], nodes.Skip(1).Append(asker), seed);
        calls.Clear(); // the bootstrap is not a lookup operation

        var rng = new Xoshiro256(seed);
        var target = new NodeId(rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64());
        var op = asker.Engine.StartLookup(net.Now, target);
        var lookup = RunToCompletion<LookupCompleted>(net, asker, op, seed);
        byte[] value = [1, 2, 3];
        var put = asker.Engine.StartPut(net.Now, DhtRecord.CreateImmutable(value), null);
        RunToCompletion<PutCompleted>(net, asker, put, seed);
        RunToCompletion<GetCompleted>(net, asker, asker.Engine.StartGet(net.Now, DhtRecord.ImmutableKey(value), 1), seed);

        Assert.HasCount(1, calls, $"one call, for the lookup only; seed {seed}");
        var (callOp, callTarget, candidates, eventQueued) = calls[0];
        Assert.AreEqual(op, callOp, $"seed {seed}");
        Assert.AreEqual(target, callTarget, $"seed {seed}");
        Assert.IsFalse(eventQueued, $"called before the completion event; seed {seed}");
        CollectionAssert.AreEqual(candidates.OrderBy(c => c.Id.Xor(target)).Select(c => c.Id).ToList(), candidates.Select(c => c.Id).ToList(), $"closest first; seed {seed}");
        CollectionAssert.IsSubsetOf(lookup.Closest.ToList(), candidates.Select(c => c.Id).ToList(), $"seed {seed}");
        Assert.IsTrue(candidates.All(c => c.DiscoveredRound >= 0 && c.DiscoveredRound <= lookup.Stats.Rounds), $"rounds {string.Join(",", candidates.Select(c => c.DiscoveredRound))}, deepest {lookup.Stats.Rounds}; seed {seed}");
    }

    /// <summary>
    /// An answered request cancels its deadlines: when a lookup completes, every engine's timers are its maintenance
    /// tick and the deadlines of what is still in flight. Before they were cancelled, each answered request left two
    /// dead timers queued until they came due (and woke the engine for nothing).
    /// </summary>
    [TestMethod]
    [DataRow(5UL)]
    [DataRow(6UL)]
    public void Lookup_AnsweredRequests_LeaveNoTimersBehind(ulong seed)
    {
        using var net = BuildNetwork(seed, 30, out var nodes);
        var rng = new Xoshiro256(seed);
        for (var i = 0; i < 5; i++)
        {
            var node = nodes[rng.NextInt32(nodes.Count)];
            var target = new NodeId(rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64());
            var lookup = RunToCompletion<LookupCompleted>(net, node, node.Engine.StartLookup(net.Now, target), seed);
            Assert.IsGreaterThan(3, lookup.Stats.Messages, $"the lookup asked several nodes; seed {seed}");
            foreach (var n in nodes)
            {
                var (pending, bound) = n.Engine.Timers;
                Assert.IsLessThanOrEqualTo(bound, pending, $"node {n.Id}: {pending} timers, at most {bound} live; seed {seed}");
            }
        }
    }

    /// <summary>
    /// Request objects are reused: once a few lookups have filled the pool, further lookups send hundreds of requests
    /// while creating almost no new request objects, and a returned object holds no reference.
    /// </summary>
    [TestMethod]
    [DataRow(7UL)]
    public void Requests_AnsweredOrTimedOut_ReturnTheirObjectsToThePool(ulong seed)
    {
        using var net = BuildNetwork(seed, 30, out var nodes);
        var rng = new Xoshiro256(seed);
        void Lookups(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var node = nodes[rng.NextInt32(nodes.Count)];
                var target = new NodeId(rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64());
                RunToCompletion<LookupCompleted>(net, node, node.Engine.StartLookup(net.Now, target), seed);
            }

            net.RunFor(TimeSpan.FromSeconds(30)); // every request answered or timed out
        }

        Lookups(5);
        var created = PendingRequest.Created;
        var sent = nodes.Sum(n => n.Engine.Stats.RequestsSent);
        Lookups(20);
        var sentSince = nodes.Sum(n => n.Engine.Stats.RequestsSent) - sent;
        var createdSince = PendingRequest.Created - created;
        Assert.IsGreaterThan(100, sentSince, $"seed {seed}");
        Assert.IsLessThan(sentSince / 10, createdSince, $"{createdSince} objects created for {sentSince} requests; seed {seed}");
        Assert.AreEqual(0, nodes.Sum(n => n.Engine.PendingRequests), $"seed {seed}");
        Assert.IsGreaterThan(0, PendingRequest.Pooled, $"seed {seed}");

        var reused = PendingRequest.Rent();
        Assert.IsNull(reused.Operation, $"seed {seed}");
        Assert.IsNull(reused.Parts, $"seed {seed}");
        Assert.IsNull((object?)reused.Request, $"seed {seed}");
        Assert.AreEqual(0UL, reused.RequestId, $"seed {seed}");
        PendingRequest.Return(reused);
    }

    [TestMethod]
    [DataRow(3UL)]
    public void PutGet_Immutable_ReadBackFromOtherNode(ulong seed)
    {
        using var net = BuildNetwork(seed, 30, out var nodes);
        var rng = new Xoshiro256(seed);
        for (var i = 0; i < 10; i++)
        {
            var value = new byte[1 + rng.NextInt32(900)];
            rng.NextBytes(value);
            var writer = nodes[rng.NextInt32(nodes.Count)];
            var record = DhtRecord.CreateImmutable(value);
            var put = writer.Engine.StartPut(net.Now, record, null);
            Assert.IsTrue(net.RunUntil(() => writer.Completed<PutCompleted>(put) is not null, TimeSpan.FromSeconds(60)), $"put timed out; seed {seed}");
            var putResult = writer.Completed<PutCompleted>(put)!.Result;
            Assert.IsGreaterThanOrEqualTo(10, putResult.Acknowledged, $"{putResult}; seed {seed}");

            var reader = nodes[rng.NextInt32(nodes.Count)];
            var get = reader.Engine.StartGet(net.Now, record.Key, 1);
            Assert.IsTrue(net.RunUntil(() => reader.Completed<GetCompleted>(get) is not null, TimeSpan.FromSeconds(60)), $"get timed out; seed {seed}");
            var got = reader.Completed<GetCompleted>(get)!.Record;
            Assert.IsNotNull(got, $"value {i} not found; seed {seed}");
            CollectionAssert.AreEqual(value, got.Value.ToArray(), $"seed {seed}");
        }
    }

    [TestMethod]
    [DataRow(24UL)]
    public void GetSigned_IdenticalAnswersFromReplicas_OneSignatureCheck(ulong seed)
    {
        using var net = new VirtualNetwork(seed);
        var nodes = new List<VirtualNode>();
        CountingVerifySuite? counting = null;
        for (var i = 0; i < 30; i++)
        {
            nodes.Add(i == 29 ? net.AddNode(wrapCrypto: c => counting = new CountingVerifySuite(c)) : net.AddNode());
        }

        foreach (var node in nodes.Skip(1))
        {
            RunToCompletion<BootstrapCompleted>(net, node, node.Engine.StartBootstrap(net.Now, [(nodes[0].Address, (NodeId?)null)]), seed);
        }

        using var signer = DhtIdentity.Generate();
        var record = DhtRecord.CreateSigned(signer, "current"u8.ToArray(), 5, "k"u8.ToArray());
        var writer = nodes[0];
        var put = RunToCompletion<PutCompleted>(net, writer, writer.Engine.StartPut(net.Now, record, null), seed);
        Assert.IsGreaterThanOrEqualTo(10, put.Result.Acknowledged, $"seed {seed}");

        // The reader asks for three identical answers; whether or not it holds the record, at most one check is needed.
        var reader = nodes[29];
        var before = counting!.Verifications;
        var get = RunToCompletion<GetCompleted>(net, reader, reader.Engine.StartGet(net.Now, record.Key, 3), seed);
        Assert.IsNotNull(get.Record, $"seed {seed}");
        Assert.AreEqual(5L, get.Record.Sequence, $"seed {seed}");
        Assert.IsGreaterThanOrEqualTo(3, get.Responses, $"seed {seed}");
        Assert.IsLessThanOrEqualTo(1, counting.Verifications - before, $"{get.Responses} answers; seed {seed}");
    }

    [TestMethod]
    [DataRow(4UL)]
    public void Bootstrap_FirstAttemptLost_MaintenanceBootstrapsAgain(ulong seed)
    {
        using var net = new VirtualNetwork(seed);
        var nodes = Enumerable.Range(0, 10).Select(_ => net.AddNode()).ToList();
        foreach (var node in nodes.Skip(1).Take(8))
        {
            var op = node.Engine.StartBootstrap(net.Now, [(nodes[0].Address, (NodeId?)nodes[0].Id)]);
            Assert.IsTrue(net.RunUntil(() => node.Completed<BootstrapCompleted>(op) is not null, TimeSpan.FromMinutes(1)), $"seed {seed}");
        }

        // The last node's bootstrap is lost entirely: it completes with an empty table.
        var late = nodes[9];
        net.LossRate = 1.0;
        var lost = late.Engine.StartBootstrap(net.Now, [(nodes[0].Address, (NodeId?)nodes[0].Id)]);
        Assert.IsTrue(net.RunUntil(() => late.Completed<BootstrapCompleted>(lost) is not null, TimeSpan.FromMinutes(2)), $"seed {seed}");
        Assert.AreEqual(0, late.Engine.RoutingTableSize, $"seed {seed}");

        // Once the network works again, maintenance notices the near-empty table and bootstraps through the same seed.
        net.LossRate = 0;
        net.RunFor(TimeSpan.FromMinutes(2));
        Assert.IsGreaterThanOrEqualTo(5, late.Engine.RoutingTableSize, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(5UL)]
    [DataRow(6UL)]
    [DataRow(7UL)]
    public void Put_OptimisticQuorum_ReportsEarlyAndStillReachesTheKClosest(ulong seed)
    {
        using var net = new VirtualNetwork(seed);
        var nodes = AddNodes(net, 40, k: 8, putReturnQuorum: 3);
        BootstrapThrough(net, nodes[0], nodes.Skip(1), seed);

        net.RunFor(TimeSpan.FromSeconds(5));
        var writer = nodes[7];
        var record = DhtRecord.CreateImmutable("optimistic"u8.ToArray());

        // One of the k closest is down: its requests wait for a timeout, so a PUT that waited for every STORE could
        // not report yet. (With constant latency every other answer arrives together.)
        var down = nodes.Where(n => n != writer).OrderBy(n => n.Id.Xor(record.Key)).ElementAt(2);
        net.Stop(down);
        var start = net.Now;
        var put = writer.Engine.StartPut(net.Now, record, null);
        Assert.IsTrue(net.RunUntil(() => writer.Completed<PutCompleted>(put) is not null, TimeSpan.FromMinutes(1)), $"seed {seed}");
        var result = writer.Completed<PutCompleted>(put)!.Result;
        var reportedAfter = net.Now - start;
        Assert.IsGreaterThanOrEqualTo(3, result.Acknowledged, $"{result}; seed {seed}");
        Assert.IsTrue(writer.Engine.ActiveOperations > 0, $"the PUT should still be storing in the background; seed {seed}");

        // The background part finishes without a second event and leaves the record on the k closest nodes.
        net.RunFor(TimeSpan.FromSeconds(30));
        Assert.HasCount(1, writer.Events.OfType<PutCompleted>().Where(e => e.OperationId == put), $"seed {seed}");
        var closest = nodes.Where(n => n != writer && n != down).OrderBy(n => n.Id.Xor(record.Key)).Take(8).ToList();
        var holding = closest.Count(n => n.Engine.Storage.TryGet(record.Key, net.Now, out _));
        Assert.IsGreaterThanOrEqualTo(7, holding, $"only {holding} of the 8 closest hold it; reported after {reportedAfter.TotalMilliseconds} ms; seed {seed}");
    }
}
