using System.Net;
using Dht.Protocol;
using Dht.Transport;

namespace Dht.Tests.Support;

/// <summary>An in-process datagram network for facade tests: Send hands the bytes straight to the receiver's sink.</summary>
internal sealed class InMemoryHub
{
    private readonly Dictionary<PeerAddress, InMemoryTransport> _transports = [];
    private readonly Lock _lock = new();
    private int _next = 1;

    public InMemoryTransport Create()
    {
        lock (_lock)
        {
            var address = PeerAddress.FromIPv4([192, 0, 2, (byte)_next], 4000);
            _next++;
            var transport = new InMemoryTransport(this, address);
            _transports[address] = transport;
            return transport;
        }
    }

    public void Deliver(PeerAddress from, PeerAddress to, ReadOnlySpan<byte> datagram)
    {
        InMemoryTransport? target;
        lock (_lock)
        {
            _transports.TryGetValue(to, out target);
        }

        target?.Receive(from, datagram);
    }

    public void Remove(PeerAddress address)
    {
        lock (_lock)
        {
            _transports.Remove(address);
        }
    }
}

internal sealed class InMemoryTransport(InMemoryHub hub, PeerAddress address) : IDatagramTransport
{
    private IDatagramSink? _sink;

    public PeerAddress Address { get; } = address;

    public IReadOnlyList<IPEndPoint> LocalEndPoints { get; } = [address.ToEndPoint()];

    public int Sent;

    public void Start(IDatagramSink sink) => _sink = sink;

    public void Send(PeerAddress to, ReadOnlySpan<byte> datagram)
    {
        Interlocked.Increment(ref Sent);
        hub.Deliver(Address, to, datagram);
    }

    public void Receive(PeerAddress from, ReadOnlySpan<byte> datagram) => _sink?.OnDatagram(from, datagram);

    public void Dispose() => hub.Remove(Address);
}
