using Dht.Protocol;
using Dht.Rpc;

namespace Dht.Routing;

/// <summary>
/// A remote node known to the routing table (in a bucket or in a bucket's replacement cache).
/// </summary>
/// <remarks>
/// The table hands out its own instances: the engine may update <see cref="Rtt"/> by reference, but should change
/// <see cref="Address"/>, <see cref="LastSeen"/> and <see cref="FailedRequests"/> only through the table
/// (<see cref="RoutingTable.OnVerifiedReply"/>, <see cref="RoutingTable.OnRequestFailed"/>) so the bucket order and
/// the subnet limits stay right.
/// </remarks>
internal sealed class Contact
{
    private RttEstimator _rtt;

    public Contact(NodeId id, PeerAddress address, Instant lastSeen)
    {
        Id = id;
        Address = address;
        LastSeen = lastSeen;
    }

    public NodeId Id { get; }

    /// <summary>Where the node answers; an authenticated reply from a new address updates it.</summary>
    public PeerAddress Address { get; set; }

    /// <summary>When the node last answered one of our requests with a valid authenticated reply.</summary>
    public Instant LastSeen { get; set; }

    /// <summary>Consecutive failed requests since the last verified reply.</summary>
    public int FailedRequests { get; set; }

    /// <summary>The node's round-trip-time estimator, by reference.</summary>
    public ref RttEstimator Rtt => ref _rtt;

    /// <summary>True when the last request to the node failed.</summary>
    public bool IsStale => FailedRequests > 0;

    public override string ToString() => $"{Id} at {Address} (seen {LastSeen}, failed {FailedRequests})";
}
