using Dht.Protocol;

namespace Dht.Routing;

/// <summary>
/// One k-bucket: up to K contacts in least-recently-seen order (oldest first, index 0) and a bounded replacement cache
/// (oldest first, most recent last), both stored inline as <see cref="ContactEntry"/> values in arrays that grow on
/// demand up to the bounds the table passes in. The bucket enforces no policy; <see cref="RoutingTable"/> does.
/// </summary>
/// <remarks>
/// A struct held inline in the table's bucket array and used through references to its slot (<c>ref</c> locals), so
/// a table's buckets cost no object each (a 100k-node simulation holds 17 buckets per node: the objects were 0.4 KB per
/// node). The default value is a bucket that does not exist yet (<see cref="Exists"/>); the table creates buckets on
/// first use.
/// </remarks>
/// <remarks>
/// Entries hold references on their <see cref="PeerDirectory"/> handles. Methods that take an entry in take over its
/// reference; <see cref="RemoveAt"/> and <see cref="RemoveReplacementAt"/> hand it back to the caller; methods that drop
/// entries themselves (<see cref="AddReplacement"/>, <see cref="Clear"/>) release them.
/// </remarks>
internal struct KBucket
{
    private const int InitialCapacity = 4;

    private ContactEntry[] _contacts;
    private int _count;
    private ContactEntry[] _replacements;
    private int _replacementCount;

    public KBucket(Instant created, TimeSpan refreshDelay)
    {
        _contacts = [];
        _replacements = [];
        LastUsed = created;
        RefreshDelay = refreshDelay;
    }

    /// <summary>
    /// Hints the contact array's header and its first <see cref="Count"/> entries (see <see cref="MemoryHint"/>),
    /// without reading the array: its length comes from this struct.
    /// </summary>
    public readonly void HintContacts()
    {
        if (_count > 0)
        {
            MemoryHint.Elements(_contacts, _count);
        }
    }

    /// <summary>False for the default value: a slot of the table's bucket array where no bucket was created yet.</summary>
    public readonly bool Exists => _contacts is not null;

    /// <summary>When a lookup last targeted this bucket's range or a node in it last talked to us (or the bucket was created).</summary>
    public Instant LastUsed { get; set; }

    /// <summary>
    /// How long after <see cref="LastUsed"/> the bucket is due for a refresh: the refresh interval plus this bucket's
    /// random share of half an interval, drawn again at every refresh.
    /// </summary>
    public TimeSpan RefreshDelay { get; set; }

    public readonly int Count => _count;

    public readonly int ReplacementCount => _replacementCount;

    /// <summary>The contacts, least recently seen first.</summary>
    public readonly ReadOnlySpan<ContactEntry> Contacts => _contacts.AsSpan(0, _count);

    /// <summary>The replacement cache, oldest first.</summary>
    public readonly ReadOnlySpan<ContactEntry> Replacements => _replacements.AsSpan(0, _replacementCount);

    /// <summary>The contact at <paramref name="index"/>, by reference (for the table to update in place).</summary>
    public readonly ref ContactEntry this[int index] => ref _contacts.AsSpan(0, _count)[index];

    public readonly int IndexOf(NodeId id, PeerDirectory directory) => Find(Contacts, id, directory);

    public readonly int IndexOfReplacement(NodeId id, PeerDirectory directory) => Find(Replacements, id, directory);

    /// <summary>Makes room for <paramref name="contacts"/> contacts (within <paramref name="capacityLimit"/>) in one step.</summary>
    public void Reserve(int contacts, int capacityLimit) => _contacts = Grow(_contacts, contacts, capacityLimit);

    /// <summary>Appends at the tail (most recently seen). The caller keeps <see cref="Count"/> within K.</summary>
    public void Append(ContactEntry entry, int capacityLimit) => Insert(entry, _count, capacityLimit);

    /// <summary>Inserts where <paramref name="entry"/>'s <see cref="ContactEntry.LastSeen"/> keeps the oldest-first order.</summary>
    public void InsertByLastSeen(ContactEntry entry, int capacityLimit)
    {
        var position = _count;
        while (position > 0 && _contacts[position - 1].LastSeen > entry.LastSeen)
        {
            position--;
        }

        Insert(entry, position, capacityLimit);
    }

    /// <summary>Removes the contact at <paramref name="index"/> and returns it; the caller owns its reference.</summary>
    public ContactEntry RemoveAt(int index) => RemoveFrom(_contacts, ref _count, index);

    public readonly void MoveToTail(int index)
    {
        var entry = _contacts[index];
        Array.Copy(_contacts, index + 1, _contacts, index, _count - index - 1);
        _contacts[_count - 1] = entry;
    }

    /// <summary>
    /// The contact to evict first among those with at least <paramref name="maxFailures"/> failures (most failures, then
    /// least recently seen), or -1.
    /// </summary>
    public readonly int IndexOfEvictable(int maxFailures)
    {
        var best = -1;
        for (var i = 0; i < _count; i++)
        {
            var failures = _contacts[i].FailedRequests;
            if (failures >= maxFailures && (best < 0 || failures > _contacts[best].FailedRequests))
            {
                best = i;
            }
        }

        return best;
    }

    public readonly bool HasStale()
    {
        foreach (ref readonly var entry in Contacts)
        {
            if (entry.FailedRequests > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds the most recent replacement (taking over its reference), dropping the oldest replacement of the same subnet
    /// when that subnet already has <paramref name="perSubnetLimit"/> entries (0 = no limit, loopback exempt), then the
    /// oldest overall when the cache holds <paramref name="capacity"/>. Dropped entries are released.
    /// </summary>
    public void AddReplacement(ContactEntry entry, int capacity, int perSubnetLimit, PeerDirectory directory)
    {
        var address = directory.AddressOf(entry.Peer);
        if (perSubnetLimit > 0 && !SubnetKey.IsLoopback(address))
        {
            var key = SubnetKey.Of(address);
            var sameSubnet = 0;
            var oldestSameSubnet = -1;
            for (var i = 0; i < _replacementCount; i++)
            {
                if (SubnetKey.Of(directory.AddressOf(_replacements[i].Peer)) == key)
                {
                    sameSubnet++;
                    oldestSameSubnet = oldestSameSubnet < 0 ? i : oldestSameSubnet;
                }
            }

            if (sameSubnet >= perSubnetLimit)
            {
                directory.Release(RemoveReplacementAt(oldestSameSubnet).Peer);
            }
        }

        if (_replacementCount >= capacity)
        {
            directory.Release(RemoveReplacementAt(0).Peer);
        }

        _replacements = Grow(_replacements, _replacementCount + 1, capacity);
        _replacements[_replacementCount++] = entry;
    }

    /// <summary>Removes the replacement at <paramref name="index"/> and returns it; the caller owns its reference.</summary>
    public ContactEntry RemoveReplacementAt(int index) => RemoveFrom(_replacements, ref _replacementCount, index);

    /// <summary>Releases and removes every contact and replacement (the arrays are kept).</summary>
    public void Clear(PeerDirectory directory)
    {
        foreach (ref readonly var entry in Contacts)
        {
            directory.Release(entry.Peer);
        }

        foreach (ref readonly var entry in Replacements)
        {
            directory.Release(entry.Peer);
        }

        _count = 0;
        _replacementCount = 0;
    }

    /// <summary>
    /// Moves every last-seen stamp (contacts and replacements) back by <paramref name="ms"/>, stopping at 0, when the
    /// table's epoch moves forward by that much. Stamps above 0 keep their order; those that reach 0 tie.
    /// </summary>
    /// <remarks>The shift may exceed any stamp (a table unused for months): every stamp then becomes 0.</remarks>
    public readonly void ShiftLastSeen(long ms)
    {
        Shift(_contacts.AsSpan(0, _count), ms);
        Shift(_replacements.AsSpan(0, _replacementCount), ms);

        static void Shift(Span<ContactEntry> entries, long ms)
        {
            foreach (ref var entry in entries)
            {
                entry.LastSeen = entry.LastSeen > ms ? (uint)(entry.LastSeen - ms) : 0;
            }
        }
    }

    private static int Find(ReadOnlySpan<ContactEntry> entries, NodeId id, PeerDirectory directory)
    {
        var tag = id.Tag;
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].IdTag == tag && directory.IdOf(entries[i].Peer) == id)
            {
                return i;
            }
        }

        return -1;
    }

    private static ContactEntry RemoveFrom(ContactEntry[] array, ref int count, int index)
    {
        var removed = array.AsSpan(0, count)[index];
        Array.Copy(array, index + 1, array, index, count - index - 1);
        array[--count] = default;
        return removed;
    }

    private static ContactEntry[] Grow(ContactEntry[] array, int needed, int capacityLimit)
    {
        if (needed <= array.Length)
        {
            return array;
        }

        var size = Math.Min(capacityLimit, Math.Max(needed, Math.Max(InitialCapacity, array.Length * 2)));
        var grown = new ContactEntry[Math.Max(size, needed)];
        Array.Copy(array, grown, array.Length);
        return grown;
    }

    private void Insert(ContactEntry entry, int position, int capacityLimit)
    {
        _contacts = Grow(_contacts, _count + 1, capacityLimit);
        Array.Copy(_contacts, position, _contacts, position + 1, _count - position);
        _contacts[position] = entry;
        _count++;
    }
}
