namespace Dht.Simulator.World;

/// <summary>
/// The simulator's pending events, dequeued in (time, sequence) order: a 4-ary min-heap whose keys and events are
/// kept in two arrays, so a sift compares the keys of four siblings that sit side by side (64 bytes) and moves events
/// only along its path.
/// </summary>
/// <remarks>
/// Sequence numbers are unique, so the order is total and any correct priority queue dequeues the same events in the
/// same order: replacing the runtime's <see cref="PriorityQueue{TElement, TPriority}"/> with this one kept every
/// trace. Written by hand because the runtime's queue keeps element and priority together (40-byte entries here) and
/// compares through <see cref="IComparable{T}"/>; no package offers a faster exact-order queue for this.
/// </remarks>
internal sealed class EventQueue
{
    private const int InitialCapacity = 64;

    private EventKey[] _keys = new EventKey[InitialCapacity];
    private SimEvent[] _events = new SimEvent[InitialCapacity];

    /// <summary>Events pending.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="e"/> to be dequeued at <paramref name="key"/>.</summary>
    public void Enqueue(in SimEvent e, EventKey key)
    {
        if (Count == _keys.Length)
        {
            Array.Resize(ref _keys, 2 * _keys.Length);
            Array.Resize(ref _events, 2 * _events.Length);
        }

        var hole = Count++;
        while (hole > 0)
        {
            var parent = (hole - 1) >> 2;
            if (!Less(key, _keys[parent]))
            {
                break;
            }

            _keys[hole] = _keys[parent];
            _events[hole] = _events[parent];
            hole = parent;
        }

        _keys[hole] = key;
        _events[hole] = e;
    }

    /// <summary>Removes the earliest event; false when none is pending.</summary>
    public bool TryDequeue(out SimEvent e, out EventKey key)
    {
        if (Count == 0)
        {
            e = default;
            key = default;
            return false;
        }

        e = _events[0];
        key = _keys[0];
        var count = --Count;
        if (count > 0)
        {
            SiftDownLast(count);
        }

        return true;
    }

    /// <summary>Moves the last event (at <paramref name="count"/>) into the root's hole and down to its place.</summary>
    private void SiftDownLast(int count)
    {
        var last = _keys[count];
        var lastEvent = _events[count];
        var keys = _keys;
        var hole = 0;
        while (true)
        {
            var first = (hole << 2) + 1;
            if (first >= count)
            {
                break;
            }

            var best = first;
            var bestKey = keys[first];
            var end = Math.Min(first + 4, count);
            for (var child = first + 1; child < end; child++)
            {
                if (Less(keys[child], bestKey))
                {
                    best = child;
                    bestKey = keys[child];
                }
            }

            if (!Less(bestKey, last))
            {
                break;
            }

            keys[hole] = bestKey;
            _events[hole] = _events[best];
            hole = best;
        }

        keys[hole] = last;
        _events[hole] = lastEvent;
    }

    private static bool Less(EventKey a, EventKey b) => a.Time < b.Time || (a.Time == b.Time && a.Sequence < b.Sequence);
}
