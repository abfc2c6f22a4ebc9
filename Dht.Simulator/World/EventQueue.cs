namespace Dht.Simulator.World;

/// <summary>
/// The world's pending events in (time, sequence) order, kept in two heaps: node wake-ups, of which there is about one
/// per node (10^5 to 10^6 entries), in a <see cref="WakeCalendar"/> of 16-byte entries, and everything else, mostly
/// datagrams in flight (a few thousand at a time even at 10^5 nodes). Sequence numbers are unique, so taking the smaller
/// of the two heads gives exactly the order of one heap; what changes is that a delivery, most of a busy run's events,
/// sifts through a heap that stays in cache instead of the large one, and a wake-up is appended to a bucket and taken
/// from a small heap instead of sifting through 10^5-10^6 entries.
/// </summary>
internal sealed class EventQueue : IDisposable
{
    private readonly WakeCalendar _wakes = new();
    private readonly PriorityQueue<SimEvent, EventKey> _others = new();

    /// <summary>Events pending in both heaps.</summary>
    public int Count => _wakes.Count + _others.Count;

    /// <summary>Adds <paramref name="e"/> at <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">A wake-up carries more than its node (the wake-up heap keeps only that).</exception>
    public void Enqueue(SimEvent e, EventKey key)
    {
        if (e.Kind != SimEventKind.Wake)
        {
            _others.Enqueue(e, key);
            return;
        }

        if (e != Wake(e.Node))
        {
            throw new ArgumentException($"a wake-up carries only its node; got {e}", nameof(e));
        }

        _wakes.Push(key.Time, key.Sequence, e.Node);
    }

    /// <summary>The earliest pending event without removing it; false when none is pending.</summary>
    public bool TryPeek(out SimEvent e, out EventKey key) => Take(remove: false, out e, out key);

    /// <summary>Removes and returns the earliest pending event; false when none is pending.</summary>
    public bool TryDequeue(out SimEvent e, out EventKey key) => Take(remove: true, out e, out key);

    public void Dispose() => _wakes.Dispose();

    private static SimEvent Wake(int node) => new(SimEventKind.Wake, node);

    private bool Take(bool remove, out SimEvent e, out EventKey key)
    {
        var haveOther = _others.TryPeek(out var other, out var otherKey);
        if (_wakes.TryPeek(out var time, out var sequence, out var node)
            && (!haveOther || time < otherKey.Time || (time == otherKey.Time && sequence < otherKey.Sequence)))
        {
            if (remove)
            {
                _wakes.TryPop(out _, out _, out _);
            }

            e = Wake(node);
            key = new EventKey(time, sequence);
            return true;
        }

        if (!haveOther)
        {
            e = default;
            key = default;
            return false;
        }

        if (remove)
        {
            _others.Dequeue();
        }

        e = other;
        key = otherKey;
        return true;
    }
}
