namespace Dht.Simulator.World;

/// <summary>
/// The world's pending events in (time, sequence) order, kept in two heaps: node wake-ups, of which there is about one
/// per node (10^5 to 10^6 entries, megabytes of heap), and everything else, mostly datagrams in flight (a few thousand
/// at a time even at 10^5 nodes). Sequence numbers are unique, so taking the smaller of the two heads gives exactly
/// the order of one heap; what changes is that a delivery, most of a busy run's events, sifts through a heap that
/// stays in cache instead of the large one.
/// </summary>
internal sealed class EventQueue
{
    private readonly PriorityQueue<SimEvent, EventKey> _wakes = new();
    private readonly PriorityQueue<SimEvent, EventKey> _others = new();

    /// <summary>Events pending in both heaps.</summary>
    public int Count => _wakes.Count + _others.Count;

    public void Enqueue(SimEvent e, EventKey key) => (e.Kind == SimEventKind.Wake ? _wakes : _others).Enqueue(e, key);

    /// <summary>The earliest pending event without removing it; false when none is pending.</summary>
    public bool TryPeek(out SimEvent e, out EventKey key) => Earliest() is { } heap
        ? heap.TryPeek(out e, out key)
        : Nothing(out e, out key);

    /// <summary>Removes and returns the earliest pending event; false when none is pending.</summary>
    public bool TryDequeue(out SimEvent e, out EventKey key) => Earliest() is { } heap
        ? heap.TryDequeue(out e, out key)
        : Nothing(out e, out key);

    /// <summary>The heap whose head comes first, or null when both are empty.</summary>
    private PriorityQueue<SimEvent, EventKey>? Earliest()
    {
        if (!_others.TryPeek(out _, out var other))
        {
            return _wakes.Count > 0 ? _wakes : null;
        }

        return _wakes.TryPeek(out _, out var wake) && wake.CompareTo(other) < 0 ? _wakes : _others;
    }

    private static bool Nothing(out SimEvent e, out EventKey key)
    {
        e = default;
        key = default;
        return false;
    }
}
