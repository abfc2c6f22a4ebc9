using Dht.Protocol;

namespace Dht.Routing;

/// <summary>
/// One k-bucket: up to K contacts in least-recently-seen order (oldest first, index 0) and a bounded replacement cache
/// (oldest first, most recent last). Storage grows on demand up to the bounds the table passes in.
/// The bucket enforces no policy; <see cref="RoutingTable"/> does.
/// </summary>
internal sealed class KBucket
{
    private const int InitialCapacity = 4;

    private Contact[] _contacts = [];
    private int _count;
    private Contact[] _replacements = [];
    private int _replacementCount;

    public KBucket(Instant created)
    {
        LastUsed = created;
    }

    /// <summary>When a lookup last targeted this bucket's range (or the bucket was created).</summary>
    public Instant LastUsed { get; set; }

    public int Count => _count;

    public int ReplacementCount => _replacementCount;

    /// <summary>The contacts, least recently seen first.</summary>
    public ReadOnlySpan<Contact> Contacts => _contacts.AsSpan(0, _count);

    /// <summary>The replacement cache, oldest first.</summary>
    public ReadOnlySpan<Contact> Replacements => _replacements.AsSpan(0, _replacementCount);

    public Contact this[int index] => Contacts[index];

    public int IndexOf(NodeId id) => Find(Contacts, id);

    public int IndexOfReplacement(NodeId id) => Find(Replacements, id);

    /// <summary>Appends at the tail (most recently seen). The caller keeps <see cref="Count"/> within K.</summary>
    public void Append(Contact contact, int capacityLimit) => Insert(contact, _count, capacityLimit);

    /// <summary>Inserts where <paramref name="contact"/>'s <see cref="Contact.LastSeen"/> keeps the oldest-first order.</summary>
    public void InsertByLastSeen(Contact contact, int capacityLimit)
    {
        var position = _count;
        while (position > 0 && _contacts[position - 1].LastSeen > contact.LastSeen)
        {
            position--;
        }

        Insert(contact, position, capacityLimit);
    }

    public void RemoveAt(int index) => RemoveAt(_contacts, ref _count, index);

    public void MoveToTail(int index)
    {
        var contact = _contacts[index];
        Array.Copy(_contacts, index + 1, _contacts, index, _count - index - 1);
        _contacts[_count - 1] = contact;
    }

    /// <summary>
    /// The contact to evict first among those with at least <paramref name="maxFailures"/> failures (most failures, then
    /// least recently seen), or -1.
    /// </summary>
    public int IndexOfEvictable(int maxFailures)
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

    public bool HasStale()
    {
        foreach (var contact in Contacts)
        {
            if (contact.IsStale)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds the most recent replacement, dropping the oldest replacement of the same subnet when that subnet already
    /// has <paramref name="perSubnetLimit"/> entries (0 = no limit, loopback exempt), then the oldest overall when the
    /// cache holds <paramref name="capacity"/>.
    /// </summary>
    public void AddReplacement(Contact contact, int capacity, int perSubnetLimit)
    {
        if (perSubnetLimit > 0 && !SubnetKey.IsLoopback(contact.Address))
        {
            var key = SubnetKey.Of(contact.Address);
            var sameSubnet = 0;
            var oldestSameSubnet = -1;
            for (var i = 0; i < _replacementCount; i++)
            {
                if (SubnetKey.Of(_replacements[i].Address) == key)
                {
                    sameSubnet++;
                    oldestSameSubnet = oldestSameSubnet < 0 ? i : oldestSameSubnet;
                }
            }

            if (sameSubnet >= perSubnetLimit)
            {
                RemoveReplacementAt(oldestSameSubnet);
            }
        }

        if (_replacementCount >= capacity)
        {
            RemoveReplacementAt(0);
        }

        _replacements = Grow(_replacements, _replacementCount + 1, capacity);
        _replacements[_replacementCount++] = contact;
    }

    public void RemoveReplacementAt(int index) => RemoveAt(_replacements, ref _replacementCount, index);

    private static int Find(ReadOnlySpan<Contact> contacts, NodeId id)
    {
        for (var i = 0; i < contacts.Length; i++)
        {
            if (contacts[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private static void RemoveAt(Contact[] array, ref int count, int index)
    {
        Array.Copy(array, index + 1, array, index, count - index - 1);
        array[--count] = null!;
    }

    private static Contact[] Grow(Contact[] array, int needed, int capacityLimit)
    {
        if (needed <= array.Length)
        {
            return array;
        }

        var size = Math.Min(capacityLimit, Math.Max(needed, Math.Max(InitialCapacity, array.Length * 2)));
        var grown = new Contact[Math.Max(size, needed)];
        Array.Copy(array, grown, array.Length);
        return grown;
    }

    private void Insert(Contact contact, int position, int capacityLimit)
    {
        _contacts = Grow(_contacts, _count + 1, capacityLimit);
        Array.Copy(_contacts, position, _contacts, position + 1, _count - position);
        _contacts[position] = contact;
        _count++;
    }
}
