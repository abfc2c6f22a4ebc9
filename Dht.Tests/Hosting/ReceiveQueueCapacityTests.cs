using System.Net;
using Dht.Protocol;
using Dht.Transport;
using Dht.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Dht.Tests.Hosting;

/// <summary>
/// DhtNodeOptions.ReceiveQueueCapacity: while the loop is held inside a send (a transport that blocks on a gate), every
/// received datagram beyond the capacity is dropped and reported as ReceiveQueueFull. The loop is provably busy, so the
/// count is exact.
/// </summary>
[TestClass]
public sealed class ReceiveQueueCapacityTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [TestMethod]
    [DataRow(16, 40)]
    [DataRow(20, 21)]
    public async Task OnDatagram_LoopBusy_BeyondCapacityDroppedAsReceiveQueueFull(int capacity, int received)
    {
        using var identity = DhtIdentity.Generate();
        using var other = DhtIdentity.Generate();
        using var transport = new GatedTransport();
        var options = new DhtNodeOptions { ReceiveQueueCapacity = capacity };
        await using var node = DhtNode.Start(identity, options, transport, new FakeTimeProvider(), 7);
        using var cancel = new CancellationTokenSource();

        // Bootstrapping sends a FIND_NODE: the loop enters Send and waits at the gate.
        var bootstrap = node.BootstrapAsync([new DhtPeer(new IPEndPoint(IPAddress.Parse("192.0.2.9"), 4000), other.Id)], cancel.Token);
        Assert.IsTrue(transport.Entered.Wait(Guard), "the loop never sent");

        var from = PeerAddress.FromIPv4([192, 0, 2, 10], 4000);
        for (var i = 0; i < received; i++)
        {
            transport.Sink!.OnDatagram(from, [WireConstants.Version]); // 1 byte: TooShort once processed
        }

        transport.Gate.Set();
        await cancel.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await bootstrap);

        using var guard = new CancellationTokenSource(Guard);
        var info = await node.GetInfoAsync(guard.Token);
        Assert.AreEqual(received - capacity, info.DropsByReason.GetValueOrDefault("ReceiveQueueFull"), $"capacity {capacity}");
        Assert.AreEqual(capacity, info.DropsByReason.GetValueOrDefault("TooShort"), $"queued ones were processed; capacity {capacity}");
        Assert.AreEqual(received, info.DatagramsDropped, $"capacity {capacity}");
    }

    /// <summary>A transport whose first Send blocks until <see cref="Gate"/> is set; later sends go nowhere.</summary>
    private sealed class GatedTransport : IDatagramTransport
    {
        private int _sends;
        private int _disposed;

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Gate { get; } = new();

        public IDatagramSink? Sink { get; private set; }

        public IReadOnlyList<IPEndPoint> LocalEndPoints { get; } = [new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4000)];

        public void Start(IDatagramSink sink) => Sink = sink;

        public void Send(PeerAddress to, ReadOnlySpan<byte> datagram)
        {
            if (Interlocked.Increment(ref _sends) == 1)
            {
                Entered.Set();
                Gate.Wait();
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            Gate.Set();
            Entered.Dispose();
            Gate.Dispose();
        }
    }
}
