using Dht.Protocol;

namespace Dht.Lookup;

/// <summary>A node a lookup knows of: its id, address, state, and what it answered.</summary>
internal sealed class LookupCandidate(NodeId id, PeerAddress address, NodeId distance)
{
    public NodeId Id { get; } = id;

    public PeerAddress Address { get; } = address;

    /// <summary>XOR distance to the lookup's target (sort key).</summary>
    public NodeId Distance { get; } = distance;

    public CandidateState State { get; set; }

    /// <summary>This node's smoothed round-trip time to the candidate when known (from the routing table), else zero.</summary>
    public TimeSpan Rtt { get; init; }

    /// <summary>
    /// The round in which this node was learned: 0 for nodes known when the lookup started, otherwise the
    /// <see cref="QueryRound"/> of the node whose answer named it.
    /// </summary>
    public int DiscoveredRound { get; init; }

    /// <summary>The round of the request to this node: one more than the round in which it was learned.</summary>
    public int QueryRound => DiscoveredRound + 1;
}
