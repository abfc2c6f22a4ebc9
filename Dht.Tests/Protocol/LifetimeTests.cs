using Dht.Protocol;
using Dht.Tests.Support;

namespace Dht.Tests.Protocol;

/// <summary>Record lifetime on virtual time: republish by the publisher, re-replication by storers, expiry at the TTL.</summary>
[TestClass]
public sealed class LifetimeTests
{
    private static EngineOptions Options(int k) => new()
    {
        K = k,
        RecordTtl = TimeSpan.FromMinutes(20),
        RepublishInterval = TimeSpan.FromMinutes(10),
        ReplicationInterval = TimeSpan.FromMinutes(5),
        MaintenanceInterval = TimeSpan.FromSeconds(30),
        Routing = new Dht.Routing.RoutingOptions { K = k, MaxContactsPerSubnetInTable = 0, MaxContactsPerSubnetPerBucket = 0 },
    };

    private static List<VirtualNode> Join(VirtualNetwork net, int count, int k, VirtualNode? seedNode, ulong seed)
    {
        var added = new List<VirtualNode>();
        for (var i = 0; i < count; i++)
        {
            var node = net.AddNode(Options(k));
            added.Add(node);
            if (seedNode is null)
            {
                seedNode = node;
                continue;
            }

            var op = node.Engine.StartBootstrap(net.Now, [(seedNode.Address, (NodeId?)seedNode.Id)]);
            Assert.IsTrue(net.RunUntil(() => node.Completed<BootstrapCompleted>(op) is not null, TimeSpan.FromMinutes(2)), $"bootstrap; seed {seed}");
        }

        return added;
    }

    private static DhtRecord? Get(VirtualNetwork net, VirtualNode reader, NodeId key, ulong seed)
    {
        var op = reader.Engine.StartGet(net.Now, key, 1);
        Assert.IsTrue(net.RunUntil(() => reader.Completed<GetCompleted>(op) is not null, TimeSpan.FromMinutes(2)), $"get; seed {seed}");
        return reader.Completed<GetCompleted>(op)!.Record;
    }

    private static PutResult Put(VirtualNetwork net, VirtualNode writer, DhtRecord record, ulong seed)
    {
        var op = writer.Engine.StartPut(net.Now, record, null);
        Assert.IsTrue(net.RunUntil(() => writer.Completed<PutCompleted>(op) is not null, TimeSpan.FromMinutes(2)), $"put; seed {seed}");
        return writer.Completed<PutCompleted>(op)!.Result;
    }

    private static int Holders(IEnumerable<VirtualNode> nodes, NodeId key, Instant now) =>
        nodes.Count(n => !n.Stopped && n.Engine.Storage.TryGet(key, now, out _));

    [TestMethod]
    [DataRow(11UL)]
    public void Record_PublisherGone_SurvivesUntilTtlThenExpires(ulong seed)
    {
        using var net = new VirtualNetwork(seed);
        var nodes = Join(net, 25, 8, null, seed);
        var publisher = nodes[3];
        var record = DhtRecord.CreateImmutable("lives twenty minutes"u8.ToArray());
        var put = Put(net, publisher, record, seed);
        Assert.IsGreaterThanOrEqualTo(6, put.Acknowledged, $"{put}; seed {seed}");
        var putAt = net.Now;

        net.Stop(publisher);

        // Storers keep passing it on with its remaining lifetime: still there shortly before the TTL...
        net.RunUntil(() => false, TimeSpan.FromMinutes(18));
        Assert.IsNotNull(Get(net, nodes[10], record.Key, seed), $"record lost before its TTL; seed {seed}");

        // ...and gone everywhere after it, because re-replication never extends the lifetime.
        net.RunUntil(() => false, putAt + TimeSpan.FromMinutes(21) - net.Now);
        Assert.AreEqual(0, Holders(nodes, record.Key, net.Now), $"seed {seed}");
        Assert.IsNull(Get(net, nodes[10], record.Key, seed), $"record outlived its TTL; seed {seed}");
    }

    [TestMethod]
    [DataRow(12UL)]
    public void Record_PublisherStays_RepublishedPastManyTtls(ulong seed)
    {
        using var net = new VirtualNetwork(seed);
        var nodes = Join(net, 20, 8, null, seed);
        using var signer = DhtIdentity.Generate();
        var record = DhtRecord.CreateSigned(signer, "kept alive"u8.ToArray(), 1);
        Put(net, nodes[5], record, seed);
        net.RunFor(TimeSpan.FromMinutes(65));
        Assert.IsGreaterThanOrEqualTo(6, Holders(nodes, record.Key, net.Now), $"seed {seed}");
        var got = Get(net, nodes[12], record.Key, seed);
        Assert.IsNotNull(got, $"seed {seed}");
        Assert.AreEqual(1L, got.Sequence);
    }

    [TestMethod]
    [DataRow(13UL)]
    public void Record_NewCloserNodesJoin_StorersReplicateToThem(ulong seed)
    {
        const int k = 5;
        using var net = new VirtualNetwork(seed);
        var nodes = Join(net, 15, k, null, seed);
        var record = DhtRecord.CreateImmutable("moves with the network"u8.ToArray());
        var publisher = nodes[1];
        Put(net, publisher, record, seed);
        net.Stop(publisher);

        nodes.AddRange(Join(net, 30, k, nodes[0], seed));
        net.RunFor(TimeSpan.FromMinutes(12));

        var live = nodes.Where(n => !n.Stopped).ToList();
        var closest = live.OrderBy(n => n.Id.Xor(record.Key)).Take(k).ToList();
        var holding = closest.Count(n => n.Engine.Storage.TryGet(record.Key, net.Now, out _));
        Assert.IsGreaterThanOrEqualTo(k - 1, holding, $"only {holding} of the {k} closest live nodes hold the record; seed {seed}");
    }
}
