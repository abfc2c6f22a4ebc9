using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Dht.Protocol;
using Dht.Transport;
using Dht.Wire;

namespace Dht.Tests.Transport;

/// <summary>
/// <see cref="UdpTransport"/> on real sockets. Traffic goes only to 127.0.0.1 and ::1; every wait is an awaited signal
/// bounded by a timeout, every loop is bounded in count.
/// </summary>
[TestClass]
[TestCategory("Loopback")]
public sealed class UdpTransportTests
{
    private const int WarmupCount = 500;
    private const int MeasuredCount = 2_000;

    // The smallest managed object is 24 bytes on x64: an average below 16 means no object per datagram. What remains is the
    // test's own pacing signal (one semaphore release per batch).
    private const double MaxBytesPerDatagram = 16;

    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task DualStack_IPv4Sender_ReportsMappedAddressAndRepliesArrive()
    {
        using var guard = new CancellationTokenSource(Guard);
        var sink = new RecordingSink();
        using var transport = new UdpTransport(IPAddress.IPv6Any, 0);
        transport.Start(sink);
        using var sender = BoundSocket(IPAddress.Loopback);
        var senderEndPoint = (IPEndPoint)sender.LocalEndPoint!;

        await sender.SendToAsync("ping4"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, Port(transport)), guard.Token);
        var (from, data) = await sink.Received.Reader.ReadAsync(guard.Token);

        CollectionAssert.AreEqual("ping4"u8.ToArray(), data);
        Assert.IsTrue(from.IsIPv4, $"an IPv4 sender must be reported in mapped form; got {from}");
        Assert.AreEqual(PeerAddress.FromEndPoint(senderEndPoint), from);
        Assert.AreEqual((ushort)senderEndPoint.Port, from.Port);
        Assert.AreEqual(new IPEndPoint(IPAddress.Loopback, senderEndPoint.Port), from.ToEndPoint());

        transport.Send(from, "pong4"u8);
        var reply = await ReceiveOneAsync(sender, guard.Token);
        CollectionAssert.AreEqual("pong4"u8.ToArray(), reply.Data);
        Assert.AreEqual(Port(transport), reply.From.Port);
        Assert.AreEqual(0L, transport.SendErrors);
        Assert.AreEqual(0L, transport.ReceiveErrors);
    }

    [TestMethod]
    public async Task DualStack_IPv6Sender_ReportsIPv6LoopbackAndRepliesArrive()
    {
        RequireIPv6Loopback();
        using var guard = new CancellationTokenSource(Guard);
        var sink = new RecordingSink();
        using var transport = new UdpTransport(IPAddress.IPv6Any, 0);
        transport.Start(sink);
        using var sender = BoundSocket(IPAddress.IPv6Loopback);
        var senderEndPoint = (IPEndPoint)sender.LocalEndPoint!;

        await sender.SendToAsync("ping6"u8.ToArray(), new IPEndPoint(IPAddress.IPv6Loopback, Port(transport)), guard.Token);
        var (from, data) = await sink.Received.Reader.ReadAsync(guard.Token);

        CollectionAssert.AreEqual("ping6"u8.ToArray(), data);
        Assert.IsFalse(from.IsIPv4, $"an IPv6 sender must not look like IPv4; got {from}");
        Assert.AreEqual(new IPEndPoint(IPAddress.IPv6Loopback, senderEndPoint.Port), from.ToEndPoint());
        Assert.AreEqual((ushort)senderEndPoint.Port, from.Port);

        transport.Send(from, "pong6"u8);
        var reply = await ReceiveOneAsync(sender, guard.Token);
        CollectionAssert.AreEqual("pong6"u8.ToArray(), reply.Data);
        Assert.AreEqual(new IPEndPoint(IPAddress.IPv6Loopback, Port(transport)), reply.From);
        Assert.AreEqual(0L, transport.SendErrors);
    }

    [TestMethod]
    public async Task DualStack_BothFamiliesInterleaved_EachReplyReachesItsOwnSocket()
    {
        RequireIPv6Loopback();
        using var guard = new CancellationTokenSource(Guard);
        var sink = new RecordingSink();
        using var transport = new UdpTransport(IPAddress.IPv6Any, 0);
        transport.Start(sink);
        using var v4 = BoundSocket(IPAddress.Loopback);
        using var v6 = BoundSocket(IPAddress.IPv6Loopback);

        await v4.SendToAsync("a"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, Port(transport)), guard.Token);
        var (fromV4, _) = await sink.Received.Reader.ReadAsync(guard.Token);
        await v6.SendToAsync("b"u8.ToArray(), new IPEndPoint(IPAddress.IPv6Loopback, Port(transport)), guard.Token);
        var (fromV6, _) = await sink.Received.Reader.ReadAsync(guard.Token);
        Assert.IsTrue(fromV4.IsIPv4);
        Assert.IsFalse(fromV6.IsIPv4);

        // Reply in the opposite order; each socket gets exactly its own reply.
        transport.Send(fromV6, "to-v6"u8);
        transport.Send(fromV4, "to-v4"u8);
        CollectionAssert.AreEqual("to-v6"u8.ToArray(), (await ReceiveOneAsync(v6, guard.Token)).Data);
        CollectionAssert.AreEqual("to-v4"u8.ToArray(), (await ReceiveOneAsync(v4, guard.Token)).Data);
    }

    [TestMethod]
    public async Task IPv4Only_SendToIPv6Peer_CountedInSendErrorsNotThrown()
    {
        using var guard = new CancellationTokenSource(Guard);
        var sink = new RecordingSink();
        using var transport = new UdpTransport(IPAddress.Loopback, 0);
        transport.Start(sink);
        Assert.AreEqual(AddressFamily.InterNetwork, transport.LocalEndPoints[0].AddressFamily);

        transport.Send(PeerAddress.FromEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 4000)), "x"u8);
        transport.Send(PeerAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 4000)), "y"u8);
        Assert.AreEqual(2L, transport.SendErrors);

        // IPv4 peers still work on the same transport.
        using var peer = BoundSocket(IPAddress.Loopback);
        transport.Send(PeerAddress.FromEndPoint((IPEndPoint)peer.LocalEndPoint!), "z"u8);
        var reply = await ReceiveOneAsync(peer, guard.Token);
        CollectionAssert.AreEqual("z"u8.ToArray(), reply.Data);
        Assert.AreEqual(2L, transport.SendErrors);
    }

    [TestMethod]
    [DataRow("0.0.0.0", 1400)]
    [DataRow("0.0.0.0", 9000)]
    [DataRow("::", 1400)]
    [DataRow("::", 9000)]
    public async Task Receive_OversizedDatagram_DeliveredLongerThanLimitAndLoopSurvives(string bind, int size)
    {
        using var guard = new CancellationTokenSource(Guard);
        var sink = new RecordingSink();
        using var transport = new UdpTransport(IPAddress.Parse(bind), 0);
        transport.Start(sink);
        using var sender = BoundSocket(IPAddress.Loopback);
        var target = new IPEndPoint(IPAddress.Loopback, Port(transport));
        var big = new byte[size];
        big.AsSpan().Fill(0xAB);

        for (var round = 0; round < 3; round++)
        {
            await sender.SendToAsync(big, target, guard.Token);
            var (bigFrom, bigData) = await sink.Received.Reader.ReadAsync(guard.Token);
            Assert.IsGreaterThan(WireConstants.MaxDatagramSize, bigData.Length, $"round {round}: a {size}-byte datagram came through as {bigData.Length} bytes");
            Assert.IsTrue(bigData.All(b => b == 0xAB), "the truncated prefix must be the datagram's first bytes");
            Assert.AreEqual(PeerAddress.FromEndPoint((IPEndPoint)sender.LocalEndPoint!), bigFrom, "the sender of an oversized datagram must still be known");

            var normal = new byte[] { 1, 2, 3, (byte)round };
            await sender.SendToAsync(normal, target, guard.Token);
            var (from, data) = await sink.Received.Reader.ReadAsync(guard.Token);
            CollectionAssert.AreEqual(normal, data, $"round {round}");
            Assert.AreEqual(PeerAddress.FromEndPoint((IPEndPoint)sender.LocalEndPoint!), from);
        }

        Assert.AreEqual(0L, transport.ReceiveErrors);
    }

    [TestMethod]
    public async Task Dispose_ReceiveThreadStopsPromptlyAndLaterSendsAreIgnored()
    {
        using var guard = new CancellationTokenSource(Guard);
        var sink = new RecordingSink();
        using var transport = new UdpTransport(IPAddress.IPv6Any, 0);
        transport.Start(sink);
        using var peer = BoundSocket(IPAddress.Loopback);
        using var marker = BoundSocket(IPAddress.Loopback);
        await peer.SendToAsync("hello"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, Port(transport)), guard.Token);
        var (from, _) = await sink.Received.Reader.ReadAsync(guard.Token);
        var receiveThread = sink.LastThread!;
        Assert.IsTrue(receiveThread.IsAlive);

        var watch = Stopwatch.StartNew();
        transport.Dispose();
        watch.Stop();
        Assert.IsFalse(receiveThread.IsAlive, "the receive thread is still running after Dispose returned");
        Assert.IsLessThan(TimeSpan.FromSeconds(2), watch.Elapsed, $"Dispose took {watch.Elapsed}");
        Assert.AreEqual(1, sink.Count, "no datagram (not even an empty one) may reach the sink because of the shutdown");

        // Sends after Dispose are dropped silently: no exception, no error counted, nothing on the wire. Loopback delivery
        // is synchronous, so a marker sent afterwards would queue behind anything the disposed transport had sent.
        transport.Send(from, "late"u8);
        transport.Dispose();
        transport.Send(from, "later"u8);
        Assert.AreEqual(0L, transport.SendErrors);
        await marker.SendToAsync("marker"u8.ToArray(), peer.LocalEndPoint!, guard.Token);
        var next = await ReceiveOneAsync(peer, guard.Token);
        CollectionAssert.AreEqual("marker"u8.ToArray(), next.Data);
    }

    [TestMethod]
    [DataRow("127.0.0.1")]
    [DataRow("::")]
    public async Task ReceiveLoop_SteadyState_AllocatesNothingPerDatagram(string bind)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var sink = new MeasuringSink(null);
        using var transport = new UdpTransport(IPAddress.Parse(bind), 0);
        transport.Start(sink);

        var perDatagram = await MeasureAsync(sink, new IPEndPoint(IPAddress.Loopback, Port(transport)), 100, null, guard.Token);

        TestContext.WriteLine($"UdpTransport receive loop ({bind}): {perDatagram:F2} bytes/datagram over {MeasuredCount} datagrams");
        Assert.IsLessThan(MaxBytesPerDatagram, perDatagram, $"the receive loop allocates {perDatagram:F2} bytes per datagram");
    }

    [TestMethod]
    public async Task NodeReceivePath_LoopKeepsUp_AllocatesNothingPerDatagram()
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var identity = DhtIdentity.Generate();
        var transport = new MeasuringTransport(new UdpTransport(IPAddress.IPv6Any, 0));
        await using var node = DhtNode.Start(identity, new DhtNodeOptions(), transport, TimeProvider.System, 7);

        // Garbage to the node: it is copied into a rented buffer and queued (measured), then dropped on the loop (not measured).
        // Each batch waits until the loop has processed it (GetInfoAsync queues behind the datagrams), so at most one batch of
        // rented buffers is outstanding: the steady state of a loop that keeps up. When the loop falls behind a burst, every
        // buffer beyond what ArrayPool.Shared keeps is a fresh array and the channel's queue grows; that cost is not measured here.
        var perDatagram = await MeasureAsync(transport.Sink!, new IPEndPoint(IPAddress.Loopback, node.LocalEndPoints[0].Port), 16,
            async c => await node.GetInfoAsync(c), guard.Token);

        var info = await node.GetInfoAsync(guard.Token);
        TestContext.WriteLine($"UdpTransport + DhtNode.OnDatagram: {perDatagram:F2} bytes/datagram over {MeasuredCount} datagrams; node counted {info.DatagramsReceived} received, drops {string.Join(", ", info.DropsByReason)}");
        Assert.IsFalse(info.DropsByReason.ContainsKey("ReceiveQueueFull"), "the measurement is only meaningful when every datagram was queued");
        Assert.IsLessThan(MaxBytesPerDatagram, perDatagram, $"the node's receive path allocates {perDatagram:F2} bytes per datagram");
    }

    [TestMethod]
    public async Task DhtNode_DefaultOptions_ReachableOverIPv4AndIPv6Loopback()
    {
        RequireIPv6Loopback();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = guard.Token;
        using var idSeed = DhtIdentity.Generate();
        using var idV4 = DhtIdentity.Generate();
        using var idV6 = DhtIdentity.Generate();
        await using var seed = await DhtNode.StartAsync(idSeed, cancellationToken: ct);
        await using var viaV4 = await DhtNode.StartAsync(idV4, cancellationToken: ct);
        await using var viaV6 = await DhtNode.StartAsync(idV6, cancellationToken: ct);
        var bound = seed.LocalEndPoints[0];
        Assert.AreEqual(IPAddress.IPv6Any, bound.Address, "the default binding is dual-stack [::]");
        Assert.AreNotEqual(0, bound.Port);

        var sizeV4 = await viaV4.BootstrapAsync([DhtPeer.Parse($"127.0.0.1:{bound.Port}")], ct);
        var sizeV6 = await viaV6.BootstrapAsync([DhtPeer.Parse($"[::1]:{bound.Port}")], ct);
        Assert.IsGreaterThanOrEqualTo(1, sizeV4, "bootstrap over 127.0.0.1 found no contact");
        Assert.IsGreaterThanOrEqualTo(1, sizeV6, "bootstrap over ::1 found no contact");

        // Written by the IPv4 joiner, read by the IPv6 joiner, and the other way round.
        var value = "across the families"u8.ToArray();
        var put = await viaV4.PutAsync(value, ct);
        Assert.IsGreaterThanOrEqualTo(1, put.Acknowledged, put.ToString());
        CollectionAssert.AreEqual(value, await viaV6.GetAsync(put.Key, ct));

        var back = "and back"u8.ToArray();
        var putBack = await viaV6.PutAsync(back, ct);
        Assert.IsGreaterThanOrEqualTo(1, putBack.Acknowledged, putBack.ToString());
        CollectionAssert.AreEqual(back, await viaV4.GetAsync(putBack.Key, ct));
        Assert.IsGreaterThan(0L, (await seed.GetInfoAsync(ct)).DatagramsReceived);
    }

    /// <summary>
    /// Sends warm-up plus measured datagrams in batches small enough for the socket buffer, waiting for each batch to
    /// arrive (and, with <paramref name="drained"/>, to be consumed). Returns the bytes allocated on the receive thread per
    /// datagram between the first and last measured callback.
    /// </summary>
    private static async Task<double> MeasureAsync(MeasuringSink sink, IPEndPoint target, int batch, Func<CancellationToken, Task>? drained, CancellationToken ct)
    {
        var total = WarmupCount + MeasuredCount;
        sink.Arm(WarmupCount, total);
        using var sender = BoundSocket(IPAddress.Loopback);
        var payload = new byte[64];
        payload.AsSpan().Fill(0x5A);

        // Bounded: each round sends at least one datagram, and a lost datagram is resent in a later round.
        for (var round = 0; round < 4 * total / batch && sink.Count < total; round++)
        {
            var have = sink.Count;
            var count = Math.Min(batch, total - have);
            sink.SignalAt(have + count);
            for (var i = 0; i < count; i++)
            {
                sender.SendTo(payload, target);
            }

            if (await sink.Signal.WaitAsync(TimeSpan.FromSeconds(2), ct) && drained is not null)
            {
                await drained(ct);
            }
        }

        Assert.IsGreaterThanOrEqualTo(total, sink.Count, "not all datagrams arrived");
        Assert.IsTrue(sink.Done, "the measured window did not close");
        return (double)sink.AllocatedInWindow / (MeasuredCount - 1);
    }

    private static int Port(UdpTransport transport) => transport.LocalEndPoints[0].Port;

    private static Socket BoundSocket(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private static async Task<(byte[] Data, IPEndPoint From)> ReceiveOneAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[65536];
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct);
        return (buffer[..result.ReceivedBytes], (IPEndPoint)result.RemoteEndPoint);
    }

    private static bool HasIPv6Loopback()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return false;
        }

        try
        {
            using var probe = BoundSocket(IPAddress.IPv6Loopback);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void RequireIPv6Loopback()
    {
        if (!HasIPv6Loopback())
        {
            Assert.Inconclusive("This machine has no IPv6 loopback (::1).");
        }
    }

    /// <summary>Copies every datagram into a channel the test awaits.</summary>
    private sealed class RecordingSink : IDatagramSink
    {
        private int _count;

        public Channel<(PeerAddress From, byte[] Data)> Received { get; } = Channel.CreateUnbounded<(PeerAddress, byte[])>();

        public int Count => Volatile.Read(ref _count);

        public Thread? LastThread { get; private set; }

        public void OnDatagram(PeerAddress from, ReadOnlySpan<byte> datagram)
        {
            LastThread = Thread.CurrentThread;
            Interlocked.Increment(ref _count);
            Received.Writer.TryWrite((from, datagram.ToArray()));
        }
    }

    /// <summary>
    /// Counts datagrams, optionally forwards them, and reads the receive thread's allocation counter on the first and last
    /// callback of the measured window. Signals a semaphore once the count reaches the level the sender waits for.
    /// </summary>
    private sealed class MeasuringSink(IDatagramSink? inner) : IDatagramSink
    {
        private int _count;
        private int _signalAt = int.MaxValue;
        private int _windowStart = int.MaxValue;
        private int _windowEnd = int.MaxValue;
        private long _startBytes;
        private long _endBytes;
        private volatile bool _done;

        public SemaphoreSlim Signal { get; } = new(0);

        public int Count => Volatile.Read(ref _count);

        public bool Done => _done;

        public long AllocatedInWindow => _endBytes - _startBytes;

        public void Arm(int warmup, int total)
        {
            _windowStart = warmup + 1;
            _windowEnd = total;
        }

        public void SignalAt(int count) => Volatile.Write(ref _signalAt, count);

        public void OnDatagram(PeerAddress from, ReadOnlySpan<byte> datagram)
        {
            var now = GC.GetAllocatedBytesForCurrentThread();
            var count = Interlocked.Increment(ref _count);
            if (count == _windowStart)
            {
                _startBytes = now;
            }
            else if (count == _windowEnd)
            {
                _endBytes = now;
                _done = true;
            }

            inner?.OnDatagram(from, datagram);
            if (count == Volatile.Read(ref _signalAt))
            {
                Signal.Release();
            }
        }
    }

    /// <summary>Wraps a real transport so the node's sink sits behind a <see cref="MeasuringSink"/>.</summary>
    private sealed class MeasuringTransport(UdpTransport inner) : IDatagramTransport
    {
        public MeasuringSink? Sink { get; private set; }

        public IReadOnlyList<IPEndPoint> LocalEndPoints => inner.LocalEndPoints;

        public void Start(IDatagramSink sink)
        {
            Sink = new MeasuringSink(sink);
            inner.Start(Sink);
        }

        public void Send(PeerAddress to, ReadOnlySpan<byte> datagram) => inner.Send(to, datagram);

        public void Dispose() => inner.Dispose();
    }
}
