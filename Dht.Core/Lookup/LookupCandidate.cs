using Dht.Protocol;

namespace Dht.Lookup;

/// <summary>A node a lookup knows of: its id, address, state, and what it answered.</summary>
/// <remarks>
/// Lookups create many of these (most never asked), so each is kept small (80 bytes): the XOR distance to the target
/// (the sort key) is not stored, it is <c>Id XOR target</c> (see <see cref="IterativeLookup.DistanceOf"/>), and the
/// address is kept as its three parts, since a <see cref="PeerAddress"/> field would be padded to 24 bytes.
/// </remarks>
internal sealed class LookupCandidate(NodeId id, PeerAddress address)
{
    private readonly ulong _addressHigh = address.High;
    private readonly ulong _addressLow = address.Low;
    private readonly ushort _port = address.Port;

    public NodeId Id { get; } = id;

    public PeerAddress Address => new(_addressHigh, _addressLow, _port);

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
