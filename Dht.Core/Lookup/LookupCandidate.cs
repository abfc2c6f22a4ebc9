using Dht.Protocol;

namespace Dht.Lookup;

/// <summary>A node a lookup knows of: its id, address, state, and what it answered.</summary>
/// <remarks>
/// A 64-byte value held inline in its lookup's sorted array (no object per candidate: a lookup with K = 20 learns 70 to
/// 120 of them, most never asked, and as objects they were the largest share of the bytes a steady-state simulation
/// allocated). The XOR distance to the target (the sort key) is not stored, it is <c>Id XOR target</c> (see
/// <see cref="IterativeLookup.DistanceOf"/>), and the address is kept as its three parts, since a
/// <see cref="PeerAddress"/> field would be padded to 24 bytes. What the lookup hands out are copies: the lookup's own
/// state changes only through its methods, which find a candidate again by id.
/// </remarks>
internal struct LookupCandidate(NodeId id, PeerAddress address)
{
    private readonly ulong _addressHigh = address.High;
    private readonly ulong _addressLow = address.Low;

    /// <summary>This node's smoothed round-trip time to the candidate when known (from the routing table), else zero.</summary>
    public TimeSpan Rtt { get; init; }

    /// <summary>
    /// The round in which this node was learned: 0 for nodes known when the lookup started, otherwise the
    /// <see cref="QueryRound"/> of the node whose answer named it.
    /// </summary>
    public int DiscoveredRound { get; init; }

    private readonly ushort _port = address.Port;

    public CandidateState State { get; set; }

    public NodeId Id { get; } = id;

    public readonly PeerAddress Address => new(_addressHigh, _addressLow, _port);

    /// <summary>The round of the request to this node: one more than the round in which it was learned.</summary>
    public readonly int QueryRound => DiscoveredRound + 1;
}
