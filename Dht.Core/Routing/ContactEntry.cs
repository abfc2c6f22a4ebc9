using Dht.Protocol;
using Dht.Rpc;

namespace Dht.Routing;

/// <summary>
/// One routing-table entry as stored inline in a <see cref="KBucket"/>'s arrays: the peer's handle in the table's
/// <see cref="PeerDirectory"/> and the per-contact state, in 16 bytes. A plain value with no object references, so a table of
/// hundreds of contacts is a few flat arrays the garbage collector never has to trace.
/// </summary>
/// <remarks>
/// Every entry in a bucket or replacement cache holds one reference on <see cref="Peer"/>; whoever drops an entry
/// (or changes its address) releases it. Only <see cref="RoutingTable"/> and <see cref="KBucket"/> touch entries;
/// everyone else reads <see cref="Contact"/> views.
/// </remarks>
internal struct ContactEntry
{
    /// <summary>The (id, address) handle in the table's <see cref="PeerDirectory"/>.</summary>
    public int Peer;

    /// <summary>
    /// When the node last answered one of our requests with a valid authenticated reply: whole milliseconds since the
    /// table's epoch (<see cref="RoutingTable.LastSeenOf"/> turns it into an <see cref="Instant"/>).
    /// </summary>
    public uint LastSeen;

    /// <summary>The node's round-trip-time estimator.</summary>
    public RttEstimator Rtt;

    /// <summary>
    /// <see cref="NodeId.Tag"/> of the peer's id, kept beside the handle so a bucket scan compares two bytes per entry
    /// and reads the directory (a random memory access) only on a match.
    /// </summary>
    public ushort IdTag;

    /// <summary>Consecutive failed requests since the last verified reply (saturates; eviction needs at most 100).</summary>
    public ushort FailedRequests;

    public ContactEntry(int peer, NodeId id, uint lastSeen)
    {
        Peer = peer;
        IdTag = id.Tag;
        LastSeen = lastSeen;
    }
}
