using System.Net;

namespace Dht;

/// <summary>A snapshot of a node's state, taken on its loop.</summary>
public sealed class DhtNodeInfo
{
    internal DhtNodeInfo(NodeId id, IReadOnlyList<IPEndPoint> endPoints, int routingTableSize, int storedRecords, long datagramsReceived,
        long datagramsSent, long datagramsDropped, IReadOnlyDictionary<string, long> dropsByReason, long recordsRejected)
    {
        Id = id;
        EndPoints = endPoints;
        RoutingTableSize = routingTableSize;
        StoredRecords = storedRecords;
        DatagramsReceived = datagramsReceived;
        DatagramsSent = datagramsSent;
        DatagramsDropped = datagramsDropped;
        DropsByReason = dropsByReason;
        RecordsRejected = recordsRejected;
    }

    /// <summary>The node id (its Ed25519 public key).</summary>
    public NodeId Id { get; }

    /// <summary>The local UDP endpoints the node listens on.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; }

    /// <summary>Verified contacts in the routing table.</summary>
    public int RoutingTableSize { get; }

    /// <summary>Records held by this node (its own and others').</summary>
    public int StoredRecords { get; }

    /// <summary>Datagrams received since start.</summary>
    public long DatagramsReceived { get; }

    /// <summary>Datagrams sent since start.</summary>
    public long DatagramsSent { get; }

    /// <summary>Received datagrams dropped (malformed, forged, replayed, unexpected, over a bound).</summary>
    public long DatagramsDropped { get; }

    /// <summary>Dropped datagrams by reason name (for example "DecryptFailed", "Truncated").</summary>
    public IReadOnlyDictionary<string, long> DropsByReason { get; }

    /// <summary>Records other nodes offered that failed validation (forged, not matching their key, bad signature); never returned.</summary>
    public long RecordsRejected { get; }
}
