namespace Dht.Simulator.World;

/// <summary>
/// The world's pending events in (time, sequence) order, kept in two heaps: node wake-ups, of which there is about one
/// per node (10^5 to 10^6 entries), in a <see cref="WakeCalendar"/> of 16-byte entries, and everything else, mostly
/// datagrams in flight (a few thousand at a time even at 10^5 nodes). Sequence numbers are unique, so taking the smaller
/// of the two heads gives exactly the order of one heap; what changes is that a delivery, most of a busy run's events,
/// sifts through a heap that stays in cache instead of the large one, and a wake-up is appended to a bucket and taken
/// from a small heap instead of sifting through 10^5-10^6 entries. <see cref="TryPeekAt"/> lets the world look a few
/// events ahead (to start loading what they read): those events leave the heaps early and wait, in order, in a small
/// array that every later enqueue is checked against, so the order of dequeues never changes.
/// </summary>
internal sealed class EventQueue : IDisposable
{
    /// <summary>The most events held taken out ahead of their turn (see <see cref="TryPeekAt"/>).</summary>
    public const int MaxAhead = 4;

    private readonly WakeCalendar _wakes = new();
    private readonly PriorityQueue<SimEvent, EventKey> _others = new();

    // Events already taken out of the heaps, in order, all before everything still in the heaps: the next ones to
    // dequeue. Filled only by TryPeekAt, so a world that never looks ahead never holds any here.
    private readonly SimEvent[] _aheadEvents = new SimEvent[MaxAhead];
    private readonly EventKey[] _aheadKeys = new EventKey[MaxAhead];
    private int _ahead;

    /// <summary>Events pending in both heaps and ahead of them.</summary>
    public int Count => _wakes.Count + _others.Count + _ahead;

    /// <summary>Adds <paramref name="e"/> at <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">A wake-up carries more than its node (the wake-up heap keeps only that).</exception>
    public void Enqueue(SimEvent e, EventKey key)
    {
        if (e.Kind == SimEventKind.Wake && e != Wake(e.Node))
        {
            throw new ArgumentException($"a wake-up carries only its node; got {e}", nameof(e));
        }

        // An event due before one already taken out ahead joins those, in order: the order stays exactly that of one
        // heap. (Keys are unique, so this happens only for an earlier time than the last one held ahead.)
        if (_ahead > 0 && key.CompareTo(_aheadKeys[_ahead - 1]) < 0)
        {
            InsertAhead(e, key);
            return;
        }

        EnqueueHeaps(e, key);
    }

    /// <summary>The earliest pending event without removing it; false when none is pending.</summary>
    public bool TryPeek(out SimEvent e, out EventKey key) => TryPeekAt(0, out e, out key);

    /// <summary>
    /// The pending event <paramref name="index"/> places after the earliest (0 is the earliest) without removing it;
    /// false when fewer are pending. It may still change: an event enqueued later at an earlier time comes before it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not below <see cref="MaxAhead"/>.</exception>
    public bool TryPeekAt(int index, out SimEvent e, out EventKey key)
    {
        if ((uint)index >= MaxAhead)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"at most {MaxAhead} events are looked at ahead");
        }

        while (_ahead <= index)
        {
            if (!TakeHeaps(out e, out key))
            {
                return false;
            }

            _aheadEvents[_ahead] = e;
            _aheadKeys[_ahead] = key;
            _ahead++;
        }

        e = _aheadEvents[index];
        key = _aheadKeys[index];
        return true;
    }

    /// <summary>Removes and returns the earliest pending event; false when none is pending.</summary>
    public bool TryDequeue(out SimEvent e, out EventKey key)
    {
        if (_ahead == 0)
        {
            return TakeHeaps(out e, out key);
        }

        e = _aheadEvents[0];
        key = _aheadKeys[0];
        _ahead--;
        for (var i = 0; i < _ahead; i++)
        {
            _aheadEvents[i] = _aheadEvents[i + 1];
            _aheadKeys[i] = _aheadKeys[i + 1];
        }

        return true;
    }

    public void Dispose() => _wakes.Dispose();

    private static SimEvent Wake(int node) => new(SimEventKind.Wake, node);

    private void EnqueueHeaps(SimEvent e, EventKey key)
    {
        if (e.Kind == SimEventKind.Wake)
        {
            _wakes.Push(key.Time, key.Sequence, e.Node);
        }
        else
        {
            _others.Enqueue(e, key);
        }
    }

    /// <summary>Puts <paramref name="e"/> among the events held ahead, before the last one (its key is smaller).</summary>
    private void InsertAhead(SimEvent e, EventKey key)
    {
        if (_ahead == MaxAhead)
        {
            // Full: the last one goes back to the heaps, where it is again the earliest (it came from there first).
            _ahead--;
            EnqueueHeaps(_aheadEvents[_ahead], _aheadKeys[_ahead]);
        }

        var i = _ahead;
        while (i > 0 && key.CompareTo(_aheadKeys[i - 1]) < 0)
        {
            _aheadEvents[i] = _aheadEvents[i - 1];
            _aheadKeys[i] = _aheadKeys[i - 1];
            i--;
        }

        _aheadEvents[i] = e;
        _aheadKeys[i] = key;
        _ahead++;
    }

    private bool TakeHeaps(out SimEvent e, out EventKey key)
    {
        var haveOther = _others.TryPeek(out var other, out var otherKey);
        if (_wakes.TryPeek(out var time, out var sequence, out var node)
            && (!haveOther || time < otherKey.Time || (time == otherKey.Time && sequence < otherKey.Sequence)))
        {
            _wakes.TryPop(out _, out _, out _);
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

        _others.Dequeue();
        e = other;
        key = otherKey;
        return true;
    }
}
