using System.Net;
using Dht.Protocol;

namespace Dht.Transport;

/// <summary>Receives datagrams from a transport. Called on the transport's receive thread; the span is only valid during the call.</summary>
internal interface IDatagramSink
{
    void OnDatagram(PeerAddress from, ReadOnlySpan<byte> datagram);
}

/// <summary>A datagram socket abstraction: real UDP in production, an in-memory network in facade tests.</summary>
internal interface IDatagramTransport : IDisposable
{
    /// <summary>The endpoints the transport is bound to.</summary>
    IReadOnlyList<IPEndPoint> LocalEndPoints { get; }

    /// <summary>Starts delivering received datagrams to <paramref name="sink"/>.</summary>
    void Start(IDatagramSink sink);

    /// <summary>Sends one datagram; errors are counted, never thrown (UDP is best effort).</summary>
    void Send(PeerAddress to, ReadOnlySpan<byte> datagram);
}
