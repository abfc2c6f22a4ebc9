using System.Diagnostics.CodeAnalysis;

namespace Dht;

/// <summary>The default <see cref="IRecordStore"/>: records in memory, ordered by key, lost when the process exits.</summary>
/// <remarks>Not thread-safe: see <see cref="IRecordStore"/>. Lookups and updates are O(log n).</remarks>
public sealed class InMemoryRecordStore : IRecordStore
{
    private readonly SortedDictionary<NodeId, StoredRecord> _records = [];

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
    public IEnumerable<StoredRecord> EnumerateByKey() => _records.Values;
}
