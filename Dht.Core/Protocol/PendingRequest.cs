using Dht.Wire;

namespace Dht.Protocol;

/// <summary>A request in flight, matched by (request id, peer id, address).</summary>
internal sealed class PendingRequest
{
    public required ulong RequestId { get; init; }

    public required NodeId Peer { get; init; }

    public required PeerAddress Address { get; init; }

    public required Message Request { get; init; }

    public required RequestPurpose Purpose { get; init; }

    public required Instant SentAt { get; init; }

    public required Instant Deadline { get; init; }

    public Operation? Operation { get; init; }

    /// <summary>True for the one retry after an ERROR that carried a fresh token.</summary>
    public bool Retried { get; init; }

    /// <summary>NODES parts received so far, when the answer spans several datagrams.</summary>
    public List<WireContact>? Parts { get; set; }

    public int PartsReceived { get; set; }
}
