namespace Dht;

/// <summary>A record as a node keeps it: the record plus when it expires, who stored it, and whether this node published it.</summary>
/// <remarks>
/// Immutable and thread-safe; the DHT replaces the whole instance when it refreshes or replaces a record.
/// Times are ticks (100 ns) of the engine's monotonic clock, whose origin is arbitrary and changes when the
/// process restarts: a persistent <see cref="IRecordStore"/> must save them relative to the current time (for example
/// as remaining lifetime) and rebase them when it loads.
/// </remarks>
public sealed class StoredRecord
{
    /// <summary>Creates a stored record.</summary>
    /// <param name="record">The record.</param>
    /// <param name="source">The node that stored it; the local node's id for records published here.</param>
    /// <param name="isLocal">True when this node published the record (it republishes it).</param>
    /// <param name="storedAtTicks">When the record was stored or last replaced, in engine monotonic ticks.</param>
    /// <param name="expiresAtTicks">When the record expires, in engine monotonic ticks.</param>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    public StoredRecord(DhtRecord record, NodeId source, bool isLocal, long storedAtTicks, long expiresAtTicks)
    {
        ArgumentNullException.ThrowIfNull(record);
        Record = record;
        Source = source;
        IsLocal = isLocal;
        StoredAtTicks = storedAtTicks;
        ExpiresAtTicks = expiresAtTicks;
    }

    /// <summary>The record.</summary>
    public DhtRecord Record { get; }

    /// <summary>The record's key (same as <see cref="DhtRecord.Key"/>).</summary>
    public NodeId Key => Record.Key;

    /// <summary>The node that stored the record (counted against its per-source quota); the local id for local records.</summary>
    public NodeId Source { get; }

    /// <summary>True when this node published the record: it republishes it and it is exempt from the per-source quota.</summary>
    public bool IsLocal { get; }

    /// <summary>When the record was stored or last replaced by a newer version, in engine monotonic ticks (100 ns).</summary>
    public long StoredAtTicks { get; }

    /// <summary>When the record expires, in engine monotonic ticks (100 ns); it is expired at and after this instant.</summary>
    public long ExpiresAtTicks { get; }
}
