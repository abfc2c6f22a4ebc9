using Dht.Lookup;

namespace Dht.Protocol;

/// <summary>State of one application or maintenance operation (bootstrap, refresh, put, get, replicate).</summary>
internal sealed class Operation
{
    public required long Id { get; init; }

    public required OperationKind Kind { get; init; }

    public required Instant Deadline { get; init; }

    public required IterativeLookup Lookup { get; init; }

    /// <summary>Maintenance operations emit no event.</summary>
    public bool IsMaintenance => Kind is OperationKind.Refresh or OperationKind.Replicate
        || (Kind is OperationKind.Put or OperationKind.Bootstrap && !ReportsToApplication);

    public bool ReportsToApplication { get; init; } = true;

    public bool FindValue => Kind == OperationKind.Get;

    public bool Finished { get; set; }

    public bool Storing { get; set; }

    // PUT / replicate
    public DhtRecord? Record { get; init; }

    public bool HasCas { get; init; }

    public long Cas { get; init; }

    public uint TtlSeconds { get; init; }

    public int StoresPending { get; set; }

    /// <summary>Optimistic PUT: nodes already sent a STORE, and the distance under which a responder gets one at once.</summary>
    public HashSet<NodeId>? StoredTo { get; set; }

    public NodeId StoreThreshold { get; set; }

    /// <summary>Optimistic PUT: acknowledgements after which the caller is told; the PUT then continues in the background.</summary>
    public int? ReturnQuorum { get; init; }

    /// <summary>The completion event was already emitted (optimistic PUT); the final completion emits nothing.</summary>
    public bool Reported { get; set; }

    public int Acknowledged { get; set; }

    public int Attempted { get; set; }

    /// <summary>Remote refusals by reason; created with the first one (most PUTs have none, and GETs never do).</summary>
    public SortedDictionary<RecordRejection, int>? Rejections { get; set; }

    public RecordRejection LocalResult { get; set; }

    // GET
    public int Quorum { get; init; } = 1;

    public DhtRecord? Best { get; set; }

    public int BestCount { get; set; }

    public int Responses { get; set; }

    /// <summary>GET of a signed record: who answered with which sequence number, for read repair.</summary>
    public List<(NodeId Id, PeerAddress Address, long Sequence)>? ValueResponders { get; set; }

    /// <summary>GET of a signed record: XOR distance to the key of the farthest node that agreed on the best record.</summary>
    public NodeId BestFarthest { get; set; }

    /// <summary>GET: remaining lifetime the best record's holder reported, in seconds.</summary>
    public uint BestTtlSeconds { get; set; }

    /// <summary>GET: query round of the node whose answer completed the read (0 when served locally).</summary>
    public int ValueHops { get; set; }

    // Bootstrap: probes still unanswered.
    public int ProbesPending { get; set; }
}
