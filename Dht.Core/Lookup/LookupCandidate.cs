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

    /// <summary>The lookup round (1-based) in which the request to this node was sent.</summary>
    public int Round { get; set; }
}
