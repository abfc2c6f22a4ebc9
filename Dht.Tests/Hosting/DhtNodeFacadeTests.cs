using System.Net;
using Dht.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Dht.Tests.Hosting;

/// <summary>The async facade on an in-memory network and a fake clock: time moves only when the test advances it.</summary>
[TestClass]
public sealed class DhtNodeFacadeTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [TestMethod]
    public async Task PutGet_TwoNodesInMemory_RoundTrip()
    {
        var hub = new InMemoryHub();
        var time = new FakeTimeProvider();
        using var idA = DhtIdentity.Generate();
        using var idB = DhtIdentity.Generate();
        await using var a = DhtNode.Start(idA, new DhtNodeOptions(), hub.Create(), time, 1);
        await using var b = DhtNode.Start(idB, new DhtNodeOptions(), hub.Create(), time, 2);
        using var guard = new CancellationTokenSource(Guard);

        var size = await b.BootstrapAsync([new DhtPeer(a.LocalEndPoints[0], a.Id)], guard.Token);
        Assert.AreEqual(1, size);
        var put = await b.PutAsync("hello"u8.ToArray(), guard.Token);
        Assert.AreEqual(1, put.Acknowledged);
        Assert.AreEqual(RecordRejection.None, put.LocalResult);
        var got = await a.GetAsync(put.Key, guard.Token);
        CollectionAssert.AreEqual("hello"u8.ToArray(), got);

        var info = await a.GetInfoAsync(guard.Token);
        Assert.AreEqual(a.Id, info.Id);
        Assert.AreEqual(1, info.RoutingTableSize);
        Assert.AreEqual(1, info.StoredRecords);
    }

    [TestMethod]
    public async Task SignedPut_AutomaticSequenceAndCas_IncrementsAndRejectsStaleCas()
    {
        var hub = new InMemoryHub();
        var time = new FakeTimeProvider();
        using var idA = DhtIdentity.Generate();
        using var idB = DhtIdentity.Generate();
        using var signer = DhtIdentity.Generate();
        var options = new DhtNodeOptions { SignedGetQuorum = 1 };
        await using var a = DhtNode.Start(idA, options, hub.Create(), time, 1);
        await using var b = DhtNode.Start(idB, options, hub.Create(), time, 2);
        using var guard = new CancellationTokenSource(Guard);
        await b.BootstrapAsync([new DhtPeer(a.LocalEndPoints[0])], guard.Token);

        var first = await b.PutSignedAsync(signer, "v1"u8.ToArray(), null, guard.Token);
        var second = await b.PutSignedAsync(signer, "v2"u8.ToArray(), null, guard.Token);
        Assert.AreEqual(1, first.Acknowledged);
        Assert.AreEqual(1, second.Acknowledged);
        Assert.AreEqual(0, second.Rejections.Count, "no node refused");
        var record = await a.GetSignedAsync(signer.PublicKey, default, guard.Token);
        Assert.IsNotNull(record);
        Assert.AreEqual(2L, record.Sequence);

        var stale = await b.PutSignedAsync(signer, "v3"u8.ToArray(), new SignedPutOptions { Sequence = 3, CompareAndSwap = 1 }, guard.Token);
        Assert.AreEqual(0, stale.Acknowledged);
        Assert.AreEqual(1, stale.Rejections[RecordRejection.CasMismatch]);
        Assert.AreEqual(1, stale.Rejections.Count);

        var older = await b.PutSignedAsync(signer, "v0"u8.ToArray(), new SignedPutOptions { Sequence = 1 }, guard.Token);
        Assert.AreEqual(1, older.Rejections[RecordRejection.SequenceTooLow]);
    }

    [TestMethod]
    public async Task Get_PeerNeverAnswers_CompletesOnlyWhenFakeTimeAdvances()
    {
        var hub = new InMemoryHub();
        var time = new FakeTimeProvider();
        using var id = DhtIdentity.Generate();
        using var silent = DhtIdentity.Generate();
        await using var node = DhtNode.Start(id, new DhtNodeOptions(), hub.Create(), time, 3);
        using var guard = new CancellationTokenSource(Guard);

        // A peer with a known id at an address nobody listens on: every request to it times out.
        var blackHole = new DhtPeer(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 4000), silent.Id);
        var bootstrap = node.BootstrapAsync([blackHole], guard.Token).AsTask();
        await node.GetInfoAsync(guard.Token); // the loop has processed the bootstrap command and armed its timer
        Assert.IsFalse(bootstrap.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(999));
        await node.GetInfoAsync(guard.Token);
        Assert.IsFalse(bootstrap.IsCompleted, "completed before the 1 s request timeout");

        time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.AreEqual(0, await bootstrap.WaitAsync(guard.Token));
    }

    [TestMethod]
    public async Task Get_Cancelled_ThrowsAndNodeKeepsWorking()
    {
        var hub = new InMemoryHub();
        var time = new FakeTimeProvider();
        using var id = DhtIdentity.Generate();
        using var silent = DhtIdentity.Generate();
        await using var node = DhtNode.Start(id, new DhtNodeOptions(), hub.Create(), time, 4);
        using var guard = new CancellationTokenSource(Guard);
        var blackHole = new DhtPeer(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 4000), silent.Id);
        using var cancel = new CancellationTokenSource();
        var bootstrap = node.BootstrapAsync([blackHole], cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(() => bootstrap);
        var info = await node.GetInfoAsync(guard.Token);
        Assert.AreEqual(id.Id, info.Id);
    }

    [TestMethod]
    public async Task Dispose_WithOperationInFlight_FailsItWithObjectDisposed()
    {
        var hub = new InMemoryHub();
        var time = new FakeTimeProvider();
        using var id = DhtIdentity.Generate();
        using var silent = DhtIdentity.Generate();
        var node = DhtNode.Start(id, new DhtNodeOptions(), hub.Create(), time, 5);
        using var guard = new CancellationTokenSource(Guard);
        var blackHole = new DhtPeer(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 4000), silent.Id);
        var bootstrap = node.BootstrapAsync([blackHole], guard.Token).AsTask();
        await node.GetInfoAsync(guard.Token);
        await node.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => bootstrap);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await node.GetAsync(default, guard.Token));
    }

    [TestMethod]
    public async Task Arguments_Invalid_ThrowWithSpecificMessages()
    {
        var hub = new InMemoryHub();
        using var id = DhtIdentity.Generate();
        await using var node = DhtNode.Start(id, new DhtNodeOptions(), hub.Create(), new FakeTimeProvider(), 6);

        var tooBig = await Assert.ThrowsAsync<ArgumentException>(async () => await node.PutAsync(new byte[1001]));
        StringAssert.Contains(tooBig.Message, "MaxValueSize is 1000");
        var empty = await Assert.ThrowsAsync<ArgumentException>(async () => await node.PutAsync(ReadOnlyMemory<byte>.Empty));
        StringAssert.Contains(empty.Message, "empty");
        var salt = await Assert.ThrowsAsync<ArgumentException>(async () => await node.PutSignedAsync(id, new byte[1], new SignedPutOptions { Salt = new byte[65], Sequence = 1 }));
        StringAssert.Contains(salt.Message, "65 bytes");
        var seq = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await node.PutSignedAsync(id, new byte[1], new SignedPutOptions { Sequence = -1 }));
        StringAssert.Contains(seq.Message, "must not be negative");
        var key = await Assert.ThrowsAsync<ArgumentException>(async () => await node.GetSignedAsync(new byte[31]));
        StringAssert.Contains(key.Message, "32 bytes; got 31");
        await Assert.ThrowsAsync<ArgumentException>(async () => await node.BootstrapAsync([]));
        Assert.ThrowsExactly<FormatException>(() => DhtPeer.Parse("not an endpoint"));
        Assert.ThrowsExactly<FormatException>(() => DhtPeer.Parse("abcd@127.0.0.1:4000"));
        Assert.AreEqual(4000, DhtPeer.Parse("127.0.0.1:4000").EndPoint.Port);
        Assert.AreEqual(id.Id, DhtPeer.Parse($"{id.Id}@[::1]:4000").Id);
    }

    [TestMethod]
    [DataRow("K", 0)]
    [DataRow("K", 65)]
    [DataRow("Alpha", 0)]
    [DataRow("MaxValueSize", 1008)]
    [DataRow("Port", 70000)]
    [DataRow("SignedGetQuorum", 0)]
    [DataRow("MaxRecords", 0)]
    [DataRow("PutReturnQuorum", 0)]
    [DataRow("PutReturnQuorum", 21)]
    [DataRow("BucketSplitBits", -1)]
    [DataRow("BucketSplitBits", 4)]
    public async Task StartAsync_BadOption_ThrowsNamingIt(string option, int value)
    {
        using var id = DhtIdentity.Generate();
        var options = new DhtNodeOptions();
        typeof(DhtNodeOptions).GetProperty(option)!.SetValue(options, value);
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await DhtNode.StartAsync(id, options));
        StringAssert.Contains(e.Message, option);
    }

    [TestMethod]
    public async Task Loop_InternalFailure_PendingAndLaterCallsFailInsteadOfHanging()
    {
        using var id = DhtIdentity.Generate();
        using var peer = DhtIdentity.Generate();
        var node = DhtNode.Start(id, new DhtNodeOptions(), new ThrowingTransport(), new FakeTimeProvider(), 7);
        using var guard = new CancellationTokenSource(Guard);
        var bootstrap = node.BootstrapAsync([new DhtPeer(new IPEndPoint(IPAddress.Parse("198.51.100.9"), 4000), peer.Id)], guard.Token).AsTask();
        var failure = await Assert.ThrowsAsync<DhtException>(() => bootstrap.WaitAsync(guard.Token));
        StringAssert.Contains(failure.Message, "internal error");
        Assert.IsInstanceOfType<InvalidOperationException>(failure.InnerException);
        await Assert.ThrowsAsync<DhtException>(async () => await node.GetInfoAsync(guard.Token));
        await node.DisposeAsync();
    }

    /// <summary>A transport with a bug: every send throws, which takes the node's loop down.</summary>
    private sealed class ThrowingTransport : Dht.Transport.IDatagramTransport
    {
        public IReadOnlyList<IPEndPoint> LocalEndPoints { get; } = [new IPEndPoint(IPAddress.Loopback, 4000)];

        public void Start(Dht.Transport.IDatagramSink sink)
        {
        }

        public void Send(Dht.Protocol.PeerAddress to, ReadOnlySpan<byte> datagram) => throw new InvalidOperationException("transport bug");

        public void Dispose()
        {
        }
    }
}
