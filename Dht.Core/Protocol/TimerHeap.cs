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
/// which a timer can also be cancelled before it is due. The earliest timer is held inline, the others in an array.
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
/// <para>A struct held inline in its engine (never copied: the engine's field is mutable and every call is on it).
/// The earliest entry lives in the struct itself and the array holds the rest as an ordinary heap, so an engine with
/// one timer pending (a quiet engine: only its maintenance tick) pops and re-adds it without reading the array, and
/// asking for the next due time, which the simulator does after every event of every engine, reads only the engine's
/// own cache lines. At 10^5 simulated engines the array was a cache miss on every maintenance tick.</para>
/// </remarks>
internal struct TimerHeap
{
    private const int MinimumGrow = 4;

    /// <summary>Heaps with more entries than this (about 6 lines) are not hinted.</summary>
    private const int MaxHintedEntries = 16;

    private static readonly Entry None = new(long.MaxValue, 0, default, 0);

    private Entry[] _items = [];
    private int _count;
    private uint _nextSeq;

    // The earliest pending entry (None when empty); _items[0 .. _count - 1) holds the others as a heap.
    private Entry _top = None;

    /// <summary>An empty heap.</summary>
    public TimerHeap()
    {
    }

    /// <summary>Timers pending.</summary>
    public readonly int Count => _count;

    /// <summary>
    /// Hints the array's header and entries (see <see cref="MemoryHint"/>) when it holds at most
    /// <see cref="MaxHintedEntries"/>: cancelling a request's deadlines when its answer comes scans them all.
    /// </summary>
    public readonly void HintEntries()
    {
        if (_count > 1 && _count <= MaxHintedEntries)
        {
            MemoryHint.Elements(_items, _count - 1);
        }
    }

    /// <summary>Entries the heap can hold before it grows (the array's and the inline one).</summary>
    public readonly int Capacity => _items.Length + 1;

    /// <summary>Adds a timer due at <paramref name="ticks"/>.</summary>
    public void Add(long ticks, TimerKind kind, ulong id)
    {
        if (_nextSeq == uint.MaxValue)
        {
            Renumber();
        }

        var entry = new Entry(ticks, _nextSeq++, kind, id);
        if (_count == 0)
        {
            _top = entry;
        }
        else if (entry.IsBefore(_top))
        {
            Push(_top);
            _top = entry;
        }
        else
        {
            Push(entry);
        }

        _count++;
    }

    /// <summary>The due time of the earliest timer; false when none is pending.</summary>
    public readonly bool TryPeek(out long ticks)
    {
        ticks = _count > 0 ? _top.Ticks : 0;
        return _count > 0;
    }

    /// <summary>Removes and returns the earliest timer when it is due at or before <paramref name="nowTicks"/>.</summary>
    public bool TryPopDue(long nowTicks, out TimerKind kind, out ulong id)
    {
        if (_count == 0 || _top.Ticks > nowTicks)
        {
            kind = default;
            id = 0;
            return false;
        }

        kind = _top.Kind;
        id = _top.Id;
        RemoveTop();
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
        for (var i = _count - 2; i >= 0; i--)
        {
            // Scanning down from the end: every entry after i has been checked. RemoveAt(i) moves the last entry into i
            // and sifts it: down, it swaps only with checked entries; up, the one unchecked entry that lands at or
            // after i is the parent that moves into i, so i is checked again.
            if (i < _count - 1 && _items[i].Id == id && ((kinds >> (int)_items[i].Kind) & 1) != 0)
            {
                RemoveAt(i);
                _count--;
                removed++;
                i++;
            }
        }

        // The inline entry last: removing it moves the array's root up, and every array entry has been checked.
        if (_count > 0 && _top.Id == id && ((kinds >> (int)_top.Kind) & 1) != 0)
        {
            RemoveTop();
            removed++;
        }

        return removed;
    }

    /// <summary>Shrinks the storage to the pending count (to nothing when at most one timer is pending).</summary>
    public void TrimExcess() => Array.Resize(ref _items, Math.Max(0, _count - 1));

    /// <summary>Drops the inline entry and moves the array's root into its place.</summary>
    private void RemoveTop()
    {
        if (_count == 1)
        {
            _count = 0;
            _top = None;
            return;
        }

        _top = _items[0];
        RemoveAt(0);
        _count--;
    }

    /// <summary>Adds <paramref name="entry"/> to the array's heap (the caller counts it).</summary>
    private void Push(Entry entry)
    {
        var rest = _count - 1;
        if (rest == _items.Length)
        {
            Array.Resize(ref _items, Math.Max(MinimumGrow, _items.Length * 2));
        }

        SiftUp(rest, entry);
    }

    /// <summary>Removes the array entry at <paramref name="index"/> (the caller uncounts it).</summary>
    private void RemoveAt(int index)
    {
        var rest = _count - 2; // entries left in the array after this removal
        var last = _items[rest];
        _items[rest] = default;
        if (index < rest)
        {
            if (index > 0 && last.IsBefore(_items[(index - 1) >> 1]))
            {
                SiftUp(index, last);
            }
            else
            {
                SiftDown(index, last, rest);
            }
        }
    }

    private readonly void SiftUp(int index, Entry entry)
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

    private readonly void SiftDown(int index, Entry entry, int count)
    {
        var items = _items;
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

    /// <summary>
    /// Gives the entries sequence numbers 0..n-1 in their current order: the inline entry first, then the array sorted
    /// (a sorted array is a valid heap, and the inline entry comes before all of it).
    /// </summary>
    private void Renumber()
    {
        if (_count == 0)
        {
            _nextSeq = 0;
            return;
        }

        var span = _items.AsSpan(0, _count - 1);
        span.Sort(static (a, b) => a.IsBefore(b) ? -1 : b.IsBefore(a) ? 1 : 0);
        _top.Seq = 0;
        for (var i = 0; i < span.Length; i++)
        {
            span[i].Seq = (uint)(i + 1);
        }

        _nextSeq = (uint)_count;
    }

    /// <summary>Test hook: the next sequence number, to exercise the wrap.</summary>
    internal uint NextSequence
    {
        readonly get => _nextSeq;
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
