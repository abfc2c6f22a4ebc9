using System.Net;

namespace Dht;

/// <summary>Settings of a <see cref="DhtNode"/>. Every bound has a default; <see cref="DhtNode.StartAsync"/> validates them.</summary>
public sealed class DhtNodeOptions
{
    // One source of truth for defaults: the engine's own option classes.
    private static readonly Protocol.EngineOptions Engine = new();
    private static readonly Records.RecordStoreLimits Store = new();
    private static readonly Dht.Routing.RoutingOptions Routing = new();

    /// <summary>UDP port to bind; 0 (the default) lets the operating system choose.</summary>
    public int Port { get; set; }

    /// <summary>Address to bind. The default, <see cref="IPAddress.IPv6Any"/>, is dual-stack (IPv4 and IPv6); it falls back to IPv4 where IPv6 is unavailable.</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.IPv6Any;

    /// <summary>Bucket size and replication factor k (default 20, at most 64).</summary>
    public int K { get; set; } = Engine.K;

    /// <summary>Lookup requests in flight at once (default 3).</summary>
    public int Alpha { get; set; } = Engine.Alpha;

    /// <summary>Largest value accepted, in bytes (default 1000; at most what one 1280-byte datagram carries, 1007).</summary>
    public int MaxValueSize { get; set; } = Engine.MaxValueSize;

    /// <summary>How long storers keep a record (default 2 hours, as BEP 44).</summary>
    public TimeSpan RecordTtl { get; set; } = Engine.RecordTtl;

    /// <summary>How often the publisher stores its records again (default 1 hour; must be shorter than <see cref="RecordTtl"/>).</summary>
    public TimeSpan RepublishInterval { get; set; } = Engine.RepublishInterval;

    /// <summary>How often a storer passes its records on to the nodes now closest to them (default 1 hour).</summary>
    public TimeSpan ReplicationInterval { get; set; } = Engine.ReplicationInterval;

    /// <summary>Timeout of a request to a peer with no measured round trip (default 1 s); later requests adapt to each peer's RTT.</summary>
    public TimeSpan InitialRequestTimeout { get; set; } = Engine.InitialRequestTimeout;

    /// <summary>Longest time one put, get or bootstrap may take before it completes with what it has (default 60 s).</summary>
    public TimeSpan OperationTimeout { get; set; } = Engine.OperationTimeout;

    /// <summary>
    /// Optimistic PUT: null (the default) completes a PUT when every STORE to the k closest nodes has answered. A number
    /// n makes the PUT store to each node that answers the lookup from within the estimated k-closest distance at
    /// once, and complete as soon as n STOREs were acknowledged (its <see cref="PutResult"/> then counts those); the
    /// remaining STOREs continue in the background.
    /// </summary>
    public int? PutReturnQuorum { get; set; }

    /// <summary>
    /// Accelerated lookups (Kademlia paper, section 4.2). 0 (the default) keeps classic k-buckets. A value b from 1 to 3
    /// splits each bucket into 2^b sub-buckets of up to <see cref="K"/> contacts, so every lookup hop gains about b
    /// more bits toward the key and GETs need fewer round trips, at the cost of about 1 + b/2 times the routing-table
    /// contacts and bucket refreshes. docs/benchmarks.md has the measured trade-off.
    /// </summary>
    public int BucketSplitBits { get; set; }

    /// <summary>Valid answers with the same highest sequence number a signed GET waits for (default 2).</summary>
    public int SignedGetQuorum { get; set; } = 2;

    /// <summary>Largest number of records this node stores for others and itself (default 65,536).</summary>
    public int MaxRecords { get; set; } = Store.MaxRecords;

    /// <summary>Largest total size of stored records in bytes (default 64 MiB).</summary>
    public long MaxStoreBytes { get; set; } = Store.MaxTotalBytes;

    /// <summary>Largest number of records one remote node may have stored here (default 256).</summary>
    public int MaxRecordsPerSource { get; set; } = Store.MaxRecordsPerSource;

    /// <summary>Largest number of puts, gets and bootstraps in progress at once (default 512).</summary>
    public int MaxConcurrentOperations { get; set; } = Engine.MaxConcurrentOperations;

    /// <summary>Limit on contacts from one IPv4 /24 or IPv6 /64 per bucket (default 2; 0 = unlimited; loopback is exempt).</summary>
    public int MaxContactsPerSubnetPerBucket { get; set; } = Routing.MaxContactsPerSubnetPerBucket;

    /// <summary>Limit on contacts from one IPv4 /24 or IPv6 /64 in the whole table (default 10; 0 = unlimited; loopback is exempt).</summary>
    public int MaxContactsPerSubnetInTable { get; set; } = Routing.MaxContactsPerSubnetInTable;

    /// <summary>Received datagrams waiting for the node's loop; more are dropped and counted (default 4096).</summary>
    public int ReceiveQueueCapacity { get; set; } = 4096;

    /// <summary>Where records are kept; null (the default) uses an <see cref="InMemoryRecordStore"/>.</summary>
    public IRecordStore? RecordStore { get; set; }
}
