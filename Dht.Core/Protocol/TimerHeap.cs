namespace Dht.Protocol;

/// <summary>What an engine timer is for; <see cref="TimerHeap"/> entries carry it with the id it concerns.</summary>
internal enum TimerKind : byte
{
    /// <summary>A request's hard deadline (id: the request id).</summary>
    RequestDeadline,

    /// <summary>A lookup request's soft deadline, after which the lookup stops waiting for it (id: the request id).</summary>
    SoftDeadline,

    /// <summary>An identity probe's deadline (id: the probe id).</summary>
    ProbeDeadline,

    /// <summary>An operation's overall deadline (id: the operation id).</summary>
    OperationDeadline,

    /// <summary>The engine's periodic maintenance tick (id 0).</summary>
    Maintenance,
}

/// <summary>
/// An engine's pending timers: a binary min-heap ordered by (due time, insertion order), 24 bytes per entry, from
/// which a timer can also be cancelled before it is due.
/// </summary>
/// <remarks>
/// <para>Why not <see cref="PriorityQueue{TElement, TPriority}"/>: it cannot cancel a timer except by a scan that
/// compares whole elements, so a request that is answered leaves its two deadlines queued until they come due. An
/// operation sends dozens of requests inside their timeouts, so the heap of every engine that ran one grew to dozens of
/// dead entries (about 1.5 KB per engine in a 100k-node steady-state simulation, a tenth of the live heap), and each
/// dead entry woke its engine for nothing. Here the engine cancels a request's timers when it is answered, so the heap
/// holds about as many entries as there are requests in flight.</para>
/// <para>Order: two timers due at the same tick come out in the order they were added; the sequence number that
/// decides this is 32 bits, and on the (rare) wrap the entries are renumbered in their current order.</para>
/// <para>A struct held inline in its engine (never copied: the engine's field is mutable and every call is on it), so
/// reading the next due time loads the engine's cache line and the entry array, not a third object between them.</para>
/// </remarks>
internal struct TimerHeap
{
    private const int MinimumGrow = 4;

    private Entry[] _items = [];
    private int _count;
    private uint _nextSeq;

    // The root's due time (long.MaxValue when empty), kept beside the count so that asking for the next due time, which
    // the simulator does after every event of every engine, reads the engine's own cache line and not the entry array.
    private long _earliest = long.MaxValue;

    /// <summary>An empty heap.</summary>
    public TimerHeap()
    {
    }

    /// <summary>Timers pending.</summary>
    public int Count => _count;

    /// <summary>Entries the heap can hold before it grows.</summary>
    public int Capacity => _items.Length;

    /// <summary>Adds a timer due at <paramref name="ticks"/>.</summary>
    public void Add(long ticks, TimerKind kind, ulong id)
    {
        if (_nextSeq == uint.MaxValue)
        {
            Renumber();
        }

        if (_count == _items.Length)
        {
            Array.Resize(ref _items, Math.Max(MinimumGrow, _items.Length * 2));
        }

        SiftUp(_count++, new Entry(ticks, _nextSeq++, kind, id));
        _earliest = _items[0].Ticks;
    }

    /// <summary>The due time of the earliest timer; false when none is pending.</summary>
    public bool TryPeek(out long ticks)
    {
        ticks = _count > 0 ? _earliest : 0;
        return _count > 0;
    }

    /// <summary>Removes and returns the earliest timer when it is due at or before <paramref name="nowTicks"/>.</summary>
    public bool TryPopDue(long nowTicks, out TimerKind kind, out ulong id)
    {
        if (_count == 0 || _earliest > nowTicks)
        {
            kind = default;
            id = 0;
            return false;
        }

        kind = _items[0].Kind;
        id = _items[0].Id;
        RemoveAt(0);
        return true;
    }

    /// <summary>Cancels the pending timers of <paramref name="kind"/> for <paramref name="id"/>; returns how many there were.</summary>
    public int Cancel(TimerKind kind, ulong id) => Cancel(id, 1u << (int)kind);

    /// <summary>Cancels a request's pending deadlines, hard and soft; returns how many there were.</summary>
    public int CancelRequest(ulong requestId) =>
        Cancel(requestId, (1u << (int)TimerKind.RequestDeadline) | (1u << (int)TimerKind.SoftDeadline));

    private int Cancel(ulong id, uint kinds)
    {
        var removed = 0;
        for (var i = _count - 1; i >= 0; i--)
        {
            // Scanning down from the end: every entry after i has been checked. RemoveAt(i) moves the last entry into i
            // and sifts it: down, it swaps only with checked entries; up, the one unchecked entry that lands at or
            // after i is the parent that moves into i, so i is checked again.
            if (i < _count && _items[i].Id == id && ((kinds >> (int)_items[i].Kind) & 1) != 0)
            {
                RemoveAt(i);
                removed++;
                i++;
            }
        }

        return removed;
    }

    /// <summary>Shrinks the storage to the pending count (to nothing when empty).</summary>
    public void TrimExcess() => Array.Resize(ref _items, _count);

    private void RemoveAt(int index)
    {
        var last = _items[--_count];
        _items[_count] = default;
        if (index < _count)
        {
            if (index > 0 && last.IsBefore(_items[(index - 1) >> 1]))
            {
                SiftUp(index, last);
            }
            else
            {
                SiftDown(index, last);
            }
        }

        _earliest = _count > 0 ? _items[0].Ticks : long.MaxValue;
    }

    private void SiftUp(int index, Entry entry)
    {
        var items = _items;
        while (index > 0)
        {
            var parent = (index - 1) >> 1;
            if (!entry.IsBefore(items[parent]))
            {
                break;
            }

            items[index] = items[parent];
            index = parent;
        }

        items[index] = entry;
    }

    private void SiftDown(int index, Entry entry)
    {
        var items = _items;
        var count = _count;
        while (true)
        {
            var child = (2 * index) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && items[child + 1].IsBefore(items[child]))
            {
                child++;
            }

            if (!items[child].IsBefore(entry))
            {
                break;
            }

            items[index] = items[child];
            index = child;
        }

        items[index] = entry;
    }

    /// <summary>Gives the entries sequence numbers 0..n-1 in their current order (a sorted array is a valid heap).</summary>
    private void Renumber()
    {
        var span = _items.AsSpan(0, _count);
        span.Sort(static (a, b) => a.IsBefore(b) ? -1 : b.IsBefore(a) ? 1 : 0);
        for (var i = 0; i < span.Length; i++)
        {
            span[i].Seq = (uint)i;
        }

        _nextSeq = (uint)span.Length;
    }

    /// <summary>Test hook: the next sequence number, to exercise the wrap.</summary>
    internal uint NextSequence
    {
        get => _nextSeq;
        set => _nextSeq = value;
    }

    private struct Entry(long ticks, uint seq, TimerKind kind, ulong id)
    {
        public readonly long Ticks = ticks;
        public readonly ulong Id = id;
        public uint Seq = seq;
        public readonly TimerKind Kind = kind;

        public readonly bool IsBefore(in Entry other) => Ticks < other.Ticks || (Ticks == other.Ticks && Seq < other.Seq);
    }
}
