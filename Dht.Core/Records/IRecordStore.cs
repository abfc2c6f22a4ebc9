using System.Diagnostics.CodeAnalysis;

namespace Dht;

/// <summary>
/// Where a node keeps the records it stores: the persistence seam. The default is <see cref="InMemoryRecordStore"/>;
/// an embedder can plug in a durable store (for example SQLite).
/// </summary>
/// <remarks>
/// <para>Synchronous by design: the DHT engine calls it from its single thread, one call at a time, and never
/// concurrently, so implementations need no locking of their own (unless the embedder also reads the store from
/// other threads). Calls must be quick and must not block on I/O for long: they run inside the engine's loop.</para>
/// <para>The store holds records; it does not apply policy. Sequence numbers, CAS, expiry and bounds are enforced by
/// the engine before it calls <see cref="Upsert"/>. At most one record is kept per key.</para>
/// </remarks>
public interface IRecordStore
{
    /// <summary>The number of records held.</summary>
    int Count { get; }

    /// <summary>The sum of <see cref="DhtRecord.SizeInBytes"/> over the records held.</summary>
    long TotalBytes { get; }

    /// <summary>Looks up the record stored under <paramref name="key"/>, expired or not.</summary>
    /// <param name="key">The record key.</param>
    /// <param name="record">The stored record when found.</param>
    /// <returns>True when a record is stored under <paramref name="key"/>.</returns>
    bool TryGet(NodeId key, [MaybeNullWhen(false)] out StoredRecord record);

    /// <summary>Stores <paramref name="record"/> under its key, replacing any record stored there.</summary>
    /// <param name="record">The record to store.</param>
    void Upsert(StoredRecord record);

    /// <summary>Removes the record stored under <paramref name="key"/>.</summary>
    /// <param name="key">The record key.</param>
    /// <returns>True when a record was removed.</returns>
    bool Remove(NodeId key);

    /// <summary>
    /// Every record held, in ascending key order (so maintenance is deterministic). The caller does not modify the
    /// store while enumerating.
    /// </summary>
    /// <returns>The records by key.</returns>
    IEnumerable<StoredRecord> EnumerateByKey();
}
