using Dht.Protocol;
using Dht.Rpc;

namespace Dht.Routing;

/// <summary>
/// A read-only view of a remote node known to the routing table (in a bucket or in a bucket's replacement cache),
/// copied out of the table's compact storage (<see cref="ContactEntry"/> plus <see cref="PeerDirectory"/>).
/// </summary>
/// <remarks>
/// A snapshot: it does not follow later changes to the table. The table's state changes only through
/// <see cref="RoutingTable"/> (<see cref="RoutingTable.OnVerifiedReply"/>, <see cref="RoutingTable.OnRequestFailed"/>,
/// <see cref="RoutingTable.Remove"/>), which keeps the bucket order, the subnet limits and the directory's reference
/// counts right.
/// </remarks>
internal readonly struct Contact
{
    public Contact(NodeId id, PeerAddress address, Instant lastSeen, int failedRequests = 0, RttEstimator rtt = default)
    {
        Id = id;
        Address = address;
        LastSeen = lastSeen;
        FailedRequests = failedRequests;
        Rtt = rtt;
    }

    internal Contact(in ContactEntry entry, PeerDirectory directory, Instant lastSeen)
        : this(directory.IdOf(entry.Peer), directory.AddressOf(entry.Peer), lastSeen, entry.FailedRequests, entry.Rtt)
    {
    }

    public NodeId Id { get; }

    /// <summary>Where the node answers; an authenticated reply from a new address updates the table's entry.</summary>
    public PeerAddress Address { get; }

    /// <summary>
    /// When the node last answered one of our requests with a valid authenticated reply (the table keeps it to the
    /// millisecond, rounded down).
    /// </summary>
    public Instant LastSeen { get; }

    /// <summary>Consecutive failed requests since the last verified reply.</summary>
    public int FailedRequests { get; }

    /// <summary>A copy of the node's round-trip-time estimator (changing it does not change the table).</summary>
    public RttEstimator Rtt { get; }

    /// <summary>True when the last request to the node failed.</summary>
    public bool IsStale => FailedRequests > 0;

    public override string ToString() => $"{Id} at {Address} (seen {LastSeen}, failed {FailedRequests})";
}
