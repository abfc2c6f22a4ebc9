using System.Net;
using Dht.Protocol;

namespace Dht.Tests.Hosting;

/// <summary>
/// Fifty nodes on real UDP sockets on 127.0.0.1 in one process, all bootstrapped through one seed node.
/// Every wait is an awaited operation bounded by a cancellation timeout; nothing sleeps.
/// </summary>
[TestClass]
[TestCategory("Loopback")]
public sealed class LoopbackNetworkTests
{
    private const int NodeCount = 50;
    private const int ForgerCount = 5;

    [TestMethod]
    [DataRow(20261127UL)]
    public async Task FiftyNodes_PutGetUpdateForgeAndChurn_AllReadsCorrect(ulong seed)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        var ct = timeout.Token;
        var rng = new Xoshiro256(seed);
        var identities = new List<DhtIdentity>();
        var nodes = new List<DhtNode>();
        try
        {
            for (var i = 0; i < NodeCount; i++)
            {
                var identity = DhtIdentity.Generate();
                identities.Add(identity);
                var options = new DhtNodeOptions
                {
                    BindAddress = IPAddress.Loopback,
                    RecordStore = i >= NodeCount - ForgerCount ? new ForgingRecordStore() : null,
                };
                nodes.Add(await DhtNode.StartAsync(identity, options, ct));
            }

            var seedPeer = new DhtPeer(nodes[0].LocalEndPoints[0]);
            foreach (var node in nodes.Skip(1))
            {
                await node.BootstrapAsync([seedPeer], ct);
            }

            // A second pass, as a node does when its refresh timer fires: everyone now knows the later joiners.
            foreach (var node in nodes)
            {
                await node.BootstrapAsync([seedPeer], ct);
            }

            foreach (var node in nodes)
            {
                var info = await node.GetInfoAsync(ct);
                Assert.IsGreaterThanOrEqualTo(10, info.RoutingTableSize, $"node {node.Id} knows only {info.RoutingTableSize} contacts; seed {seed}");
            }

            await PutAndGetImmutable(nodes, rng, seed, ct);
            await UpdateSignedRecord(nodes, identities, rng, seed, ct);

            // The forgers were asked and answered: their records were seen and refused, never returned.
            long refused = 0;
            foreach (var node in nodes)
            {
                refused += (await node.GetInfoAsync(ct)).RecordsRejected;
            }

            Assert.IsGreaterThan(0L, refused, $"no forged record was ever offered, so the test proved nothing; seed {seed}");
            await SurviveStoppedStorers(nodes, rng, seed, ct);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            foreach (var identity in identities)
            {
                identity.Dispose();
            }
        }
    }

    private static async Task PutAndGetImmutable(List<DhtNode> nodes, Xoshiro256 rng, ulong seed, CancellationToken ct)
    {
        var found = 0;
        for (var i = 0; i < 100; i++)
        {
            var value = new byte[1 + rng.NextInt32(1000)];
            rng.NextBytes(value);
            var writer = rng.NextInt32(nodes.Count);
            var reader = (writer + 1 + rng.NextInt32(nodes.Count - 1)) % nodes.Count;
            var put = await nodes[writer].PutAsync(value, ct);
            Assert.IsGreaterThanOrEqualTo(10, put.Acknowledged, $"put {i}: {put}; seed {seed}");
            var got = await nodes[reader].GetAsync(put.Key, ct);
            Assert.IsNotNull(got, $"get {i} from node {reader} found nothing; seed {seed}");
            CollectionAssert.AreEqual(value, got, $"get {i} returned other bytes; seed {seed}");
            found++;
        }

        Assert.AreEqual(100, found);
    }

    private static async Task UpdateSignedRecord(List<DhtNode> nodes, List<DhtIdentity> identities, Xoshiro256 rng, ulong seed, CancellationToken ct)
    {
        using var signer = DhtIdentity.Generate();
        var writer = nodes[rng.NextInt32(nodes.Count - ForgerCount)];
        var salt = "profile"u8.ToArray();
        for (var seq = 1; seq <= 5; seq++)
        {
            var put = await writer.PutSignedAsync(signer, System.Text.Encoding.UTF8.GetBytes($"version {seq}"), new SignedPutOptions { Salt = salt }, ct);
            Assert.IsGreaterThanOrEqualTo(10, put.Acknowledged, $"signed put {seq}: {put}; seed {seed}");
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            var record = await nodes[i].GetSignedAsync(signer.PublicKey, salt, ct);
            Assert.IsNotNull(record, $"node {i} found no signed record; seed {seed}");
            Assert.AreEqual(5L, record.Sequence, $"node {i} read seq {record.Sequence}; seed {seed}");
            Assert.AreEqual("version 5", System.Text.Encoding.UTF8.GetString(record.Value.Span), $"node {i}; seed {seed}");
        }

        _ = identities;
    }

    private static async Task SurviveStoppedStorers(List<DhtNode> nodes, Xoshiro256 rng, ulong seed, CancellationToken ct)
    {
        var publisherIndex = rng.NextInt32(nodes.Count - ForgerCount);
        var publisher = nodes[publisherIndex];
        var value = new byte[200];
        rng.NextBytes(value);
        var put = await publisher.PutAsync(value, ct);
        Assert.IsGreaterThanOrEqualTo(10, put.Acknowledged, $"{put}; seed {seed}");

        // Stop the publisher and the five nodes closest to the key (the first storers of the record).
        var closest = nodes.Where(n => n != publisher).OrderBy(n => n.Id.Xor(put.Key)).Take(5).ToList();
        await publisher.DisposeAsync();
        foreach (var storer in closest)
        {
            await storer.DisposeAsync();
        }

        var stopped = closest.Append(publisher).ToHashSet();
        var remaining = nodes.Where(n => !stopped.Contains(n)).ToList();
        foreach (var reader in remaining)
        {
            var got = await reader.GetAsync(put.Key, ct);
            Assert.IsNotNull(got, $"node {reader.Id} lost the record after its publisher and 5 storers stopped; seed {seed}");
            CollectionAssert.AreEqual(value, got, $"seed {seed}");
        }
    }

    /// <summary>A node that serves forged records: every value it returns has one byte flipped and a higher sequence.</summary>
    private sealed class ForgingRecordStore : IRecordStore
    {
        private readonly InMemoryRecordStore _inner = new();

        public int Count => _inner.Count;

        public long TotalBytes => _inner.TotalBytes;

        public bool TryGet(NodeId key, out StoredRecord record)
        {
            if (!_inner.TryGet(key, out var stored))
            {
                record = null!;
                return false;
            }

            var r = stored.Record;
            var value = r.Value.ToArray();
            if (value.Length > 0)
            {
                value[0] ^= 0xFF;
            }

            var forged = DhtRecord.FromParts(r.IsMutable, value, r.PublicKey, r.Salt, r.IsMutable ? r.Sequence + 100 : 0, r.Signature);
            record = new StoredRecord(forged, stored.Source, stored.IsLocal, stored.StoredAtTicks, stored.ExpiresAtTicks);
            return true;
        }

        public void Upsert(StoredRecord record) => _inner.Upsert(record);

        public bool Remove(NodeId key) => _inner.Remove(key);

        public IEnumerable<StoredRecord> EnumerateByKey() => _inner.EnumerateByKey();
    }
}
