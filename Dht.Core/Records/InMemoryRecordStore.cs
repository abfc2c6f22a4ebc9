using System.Diagnostics.CodeAnalysis;

namespace Dht;

/// <summary>The default <see cref="IRecordStore"/>: records in memory, ordered by key, lost when the process exits.</summary>
/// <remarks>
/// Not thread-safe: see <see cref="IRecordStore"/>. Lookups and updates are O(1) (a hash table); <see cref="EnumerateByKey"/>
/// sorts a snapshot, O(n log n), and is called only by maintenance when a record may have expired or is due.
/// </remarks>
public sealed class InMemoryRecordStore : IRecordStore
{
    // A hash table rather than a sorted tree: lookups run for every GET and STORE served, and the tree's generic
    // code boxed each key (a tenth of the bytes a 100k-node simulation allocated). Key order is produced on demand.
    private readonly Dictionary<NodeId, StoredRecord> _records = [];

    /// <inheritdoc/>
    public int Count => _records.Count;

    /// <inheritdoc/>
    public long TotalBytes { get; private set; }

    /// <inheritdoc/>
    public bool TryGet(NodeId key, [MaybeNullWhen(false)] out StoredRecord record) => _records.TryGetValue(key, out record);

    /// <inheritdoc/>
    public void Upsert(StoredRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_records.TryGetValue(record.Key, out var old))
        {
            TotalBytes -= old.Record.SizeInBytes;
        }

        _records[record.Key] = record;
        TotalBytes += record.Record.SizeInBytes;
    }

    /// <inheritdoc/>
    public bool Remove(NodeId key)
    {
        if (!_records.Remove(key, out var old))
        {
            return false;
        }

        TotalBytes -= old.Record.SizeInBytes;
        return true;
    }

    /// <inheritdoc/>
    public IEnumerable<StoredRecord> EnumerateByKey()
    {
        if (_records.Count == 0)
        {
            return [];
        }

        var keys = new NodeId[_records.Count];
        var records = new StoredRecord[_records.Count];
        var i = 0;
        foreach (var (key, record) in _records)
        {
            keys[i] = key;
            records[i++] = record;
        }

        Array.Sort(keys, records);
        return records;
    }
}
