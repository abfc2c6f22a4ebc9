using System.Diagnostics.CodeAnalysis;
using Dht.Protocol;

namespace Dht.Records;

/// <summary>
/// The store policy around an <see cref="IRecordStore"/>: BEP 44 sequence and CAS rules, expiry, and the bounds of
/// <see cref="RecordStoreLimits"/> (records, bytes, records per remote source).
/// </summary>
/// <remarks>
/// <para>Records must be validated (<see cref="RecordValidator"/>) before <see cref="TryStore"/>; this class applies
/// policy only. Single-threaded (the engine's thread). It keeps per-source counts, rebuilt from the store at
/// construction, so all changes to the store must go through this class.</para>
/// <para>Rules of <see cref="TryStore"/>, in order: a stored record that has expired counts as absent; CAS is checked
/// before seq and compares with the stored seq (ignored when nothing mutable is stored); seq lower than the stored
/// one is <see cref="RecordRejection.SequenceTooLow"/>; equal seq and equal value refreshes the expiry (the later one
/// wins); equal seq and a different value is <see cref="RecordRejection.SequenceConflict"/>; an immutable re-store
/// refreshes the expiry. Refreshing never changes the byte or record counts; replacing moves the record to the new
/// source's quota.</para>
/// <para>Local records (published by this node) are exempt from the per-source quota, not from the byte and record
/// bounds. Being local is sticky: a record published here stays local when a remote refreshes or replaces it with a
/// newer version, so this node keeps republishing the latest version of what it published.</para>
/// <para>A struct held inline in the engine object and used through references: every maintenance tick asks
/// <see cref="RemoveExpired"/> whether anything may have expired, and as an object of its own the storage was one more
/// cache miss per tick at 10^5 simulated engines. A copy would keep its own per-source counts and expiry bound, so it
/// must never be taken: pass it by <c>ref</c>.</para>
/// </remarks>
internal struct RecordStorage
{
    private readonly IRecordStore _store;
    private Dictionary<NodeId, int>? _perSource; // looked up only, never enumerated; created by the first remote record

    /// <summary>
    /// No stored record expires before this instant (in ticks): a lower bound that every write lowers to the expiry it
    /// writes and every scan of <see cref="RemoveExpired"/> sets exactly, so a maintenance tick scans the store only
    /// when something may have expired.
    /// </summary>
    private long _noExpiryBeforeTicks = long.MaxValue;

    public RecordStorage(IRecordStore store, RecordStoreLimits limits)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        _store = store;
        Limits = limits;
        foreach (var stored in store.EnumerateByKey())
        {
            _noExpiryBeforeTicks = Math.Min(_noExpiryBeforeTicks, stored.ExpiresAtTicks);
            if (!stored.IsLocal)
            {
                AddToSource(stored.Source, 1);
            }
        }
    }

    public RecordStoreLimits Limits { get; }

    /// <summary>Before this instant (in ticks) <see cref="RemoveExpired"/> removes nothing and reads nothing else.</summary>
    public readonly long NoExpiryBeforeTicks => _noExpiryBeforeTicks;

    /// <summary>Records held, including expired ones not yet removed by <see cref="RemoveExpired"/>.</summary>
    public int Count => _store.Count;

    /// <summary>Bytes held (<see cref="DhtRecord.SizeInBytes"/> summed), including expired records not yet removed.</summary>
    public long TotalBytes => _store.TotalBytes;

    /// <summary>How many records <paramref name="source"/> has stored here (local records are not counted).</summary>
    public int CountFromSource(NodeId source) => _perSource?.GetValueOrDefault(source) ?? 0;

    /// <summary>
    /// Stores a validated record under <see cref="DhtRecord.Key"/> for <paramref name="ttl"/> (cut to
    /// <see cref="RecordStoreLimits.MaxTtl"/>). See the class remarks for the rules.
    /// </summary>
    /// <param name="record">A record that passed <see cref="RecordValidator.Validate"/>.</param>
    /// <param name="cas">The sequence number the sender expects to be stored, or null for no CAS.</param>
    /// <param name="source">The node that sent the record; the local id when <paramref name="isLocal"/>.</param>
    /// <param name="isLocal">True when this node publishes the record.</param>
    /// <param name="now">The engine's current time.</param>
    /// <param name="ttl">How long to keep the record.</param>
    /// <returns><see cref="RecordRejection.None"/> when stored or refreshed, otherwise why not.</returns>
    public RecordRejection TryStore(DhtRecord record, long? cas, NodeId source, bool isLocal, Instant now, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (ttl <= TimeSpan.Zero)
        {
            return RecordRejection.Expired;
        }

        var expiresAt = now + (ttl < Limits.MaxTtl ? ttl : Limits.MaxTtl);
        if (_store.TryGet(record.Key, out var existing) && IsExpired(existing, now))
        {
            RemoveStored(existing);
            existing = null;
        }

        if (existing is null)
        {
            return TryInsert(record, source, isLocal, now, expiresAt);
        }

        var stored = existing.Record;
        if (stored.IsMutable != record.IsMutable)
        {
            // Same key for both kinds: an immutable value equal to public key || salt. Only the key's owner can
            // sign, so the mutable record wins and nobody can squat on a mutable key with an immutable value.
            return record.IsMutable
                ? TryReplace(existing, record, source, isLocal, now, expiresAt)
                : RecordRejection.KindConflict;
        }

        if (!record.IsMutable)
        {
            return Refresh(existing, source, isLocal, expiresAt);
        }

        if (cas is { } expected && expected != stored.Sequence)
        {
            return RecordRejection.CasMismatch;
        }

        if (record.Sequence < stored.Sequence)
        {
            return RecordRejection.SequenceTooLow;
        }

        if (record.Sequence == stored.Sequence)
        {
            return stored.HasSameContent(record)
                ? Refresh(existing, source, isLocal, expiresAt)
                : RecordRejection.SequenceConflict;
        }

        return TryReplace(existing, record, source, isLocal, now, expiresAt);
    }

    /// <summary>Looks up a record; never returns an expired one.</summary>
    public bool TryGet(NodeId key, Instant now, [MaybeNullWhen(false)] out StoredRecord record)
    {
        if (_store.TryGet(key, out record) && !IsExpired(record, now))
        {
            return true;
        }

        record = null;
        return false;
    }

    /// <summary>Removes the record stored under <paramref name="key"/>, expired or not.</summary>
    public bool Remove(NodeId key)
    {
        if (!_store.TryGet(key, out var existing))
        {
            return false;
        }

        RemoveStored(existing);
        return true;
    }

    /// <summary>
    /// Removes every record that has expired at <paramref name="now"/>; returns how many. O(n) when a record may have
    /// expired since the last scan, O(1) otherwise.
    /// </summary>
    public int RemoveExpired(Instant now)
    {
        // Every maintenance tick of every node lands here; most nodes store nothing (the bound is then at its maximum),
        // or nothing due to expire. The bound is a field of this object, so such a tick reads nothing else.
        if (now.Ticks < _noExpiryBeforeTicks || Count == 0)
        {
            return 0;
        }

        List<StoredRecord>? expired = null;
        var earliest = long.MaxValue;
        foreach (var stored in _store.EnumerateByKey())
        {
            if (IsExpired(stored, now))
            {
                (expired ??= []).Add(stored);
            }
            else
            {
                earliest = Math.Min(earliest, stored.ExpiresAtTicks);
            }
        }

        _noExpiryBeforeTicks = earliest;
        if (expired is null)
        {
            return 0;
        }

        foreach (var stored in expired)
        {
            RemoveStored(stored);
        }

        return expired.Count;
    }

    /// <summary>
    /// The live (unexpired) records in ascending key order, for maintenance (republish, re-replication). Lazy: do not
    /// store or remove while enumerating; take a snapshot (<c>ToList()</c>) first if needed.
    /// </summary>
    public IEnumerable<StoredRecord> EnumerateByKey(Instant now)
    {
        foreach (var stored in _store.EnumerateByKey())
        {
            if (!IsExpired(stored, now))
            {
                yield return stored;
            }
        }
    }

    private static bool IsExpired(StoredRecord stored, Instant now) => now.Ticks >= stored.ExpiresAtTicks;

    private void Upsert(StoredRecord stored)
    {
        _store.Upsert(stored);
        _noExpiryBeforeTicks = Math.Min(_noExpiryBeforeTicks, stored.ExpiresAtTicks);
    }

    private RecordRejection TryInsert(DhtRecord record, NodeId source, bool isLocal, Instant now, Instant expiresAt)
    {
        if (!isLocal && CountFromSource(source) >= Limits.MaxRecordsPerSource)
        {
            return RecordRejection.SourceQuotaExceeded;
        }

        if (_store.Count >= Limits.MaxRecords || _store.TotalBytes + record.SizeInBytes > Limits.MaxTotalBytes)
        {
            return RecordRejection.StoreFull;
        }

        if (!isLocal)
        {
            AddToSource(source, 1);
        }

        Upsert(new StoredRecord(record, source, isLocal, now.Ticks, expiresAt.Ticks));
        return RecordRejection.None;
    }

    private RecordRejection TryReplace(StoredRecord existing, DhtRecord record, NodeId source, bool isLocal, Instant now, Instant expiresAt)
    {
        var newIsLocal = isLocal || existing.IsLocal;
        var newSource = isLocal || !existing.IsLocal ? source : existing.Source;
        var sourceChanges = !newIsLocal && newSource != existing.Source;
        if (sourceChanges && CountFromSource(newSource) >= Limits.MaxRecordsPerSource)
        {
            return RecordRejection.SourceQuotaExceeded;
        }

        if (_store.TotalBytes - existing.Record.SizeInBytes + record.SizeInBytes > Limits.MaxTotalBytes)
        {
            return RecordRejection.StoreFull;
        }

        MoveQuota(existing, newSource, newIsLocal);
        Upsert(new StoredRecord(record, newSource, newIsLocal, now.Ticks, expiresAt.Ticks));
        return RecordRejection.None;
    }

    private RecordRejection Refresh(StoredRecord existing, NodeId source, bool isLocal, Instant expiresAt)
    {
        // The stored record stays (same content); only expiry, and possibly locality, change. A remote refresh
        // does not take the record over, so no quota moves except when this node adopts it as local.
        var becomesLocal = isLocal && !existing.IsLocal;
        var newSource = becomesLocal ? source : existing.Source;
        MoveQuota(existing, newSource, existing.IsLocal || isLocal);
        var expires = Math.Max(existing.ExpiresAtTicks, expiresAt.Ticks);
        Upsert(new StoredRecord(existing.Record, newSource, existing.IsLocal || isLocal, existing.StoredAtTicks, expires));
        return RecordRejection.None;
    }

    private void MoveQuota(StoredRecord existing, NodeId newSource, bool newIsLocal)
    {
        if (!existing.IsLocal)
        {
            AddToSource(existing.Source, -1);
        }

        if (!newIsLocal)
        {
            AddToSource(newSource, 1);
        }
    }

    private void RemoveStored(StoredRecord stored)
    {
        if (_store.Remove(stored.Key) && !stored.IsLocal)
        {
            AddToSource(stored.Source, -1);
        }
    }

    private void AddToSource(NodeId source, int delta)
    {
        var count = CountFromSource(source) + delta;
        if (count <= 0)
        {
            _perSource?.Remove(source);
        }
        else
        {
            (_perSource ??= [])[source] = count;
        }
    }
}
