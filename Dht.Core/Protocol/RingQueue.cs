namespace Dht.Protocol;

/// <summary>
/// A first-in first-out queue in a growable ring buffer, as a struct held inline in its engine: the engine's outgoing
/// datagrams and its events.
/// </summary>
/// <remarks>
/// Written here rather than using <see cref="Queue{T}"/> because the simulator polls both queues of an engine after
/// every event it gives that engine, and nearly always finds them empty; with the count in the engine's own cache line,
/// an empty poll reads no other object (with <see cref="Queue{T}"/> it read the queue object, at 10^5 simulated engines
/// a cache miss; docs/benchmarks.md). Never copy it: the engine's field is mutable and every call is on it.
/// </remarks>
internal struct RingQueue<T>
{
    private const int MinimumGrow = 4;

    private T[] _items = [];
    private int _head;
    private int _count;

    // _items.Length, kept beside the count so that asking for the capacity (the engine's maintenance tick does, to
    // decide on trimming) reads no array: at 10^5 simulated engines the array is a cache miss.
    private int _capacity;

    /// <summary>An empty queue (no storage until the first item).</summary>
    public RingQueue()
    {
    }

    /// <summary>Hints the slot the next <see cref="Enqueue"/> writes (see <see cref="MemoryHint"/>).</summary>
    public readonly void HintTail()
    {
        if (_capacity > 0)
        {
            var tail = _head + _count;
            MemoryHint.ElementAndHeader(_items, tail < _capacity ? tail : tail - _capacity);
        }
    }

    /// <summary>Items queued.</summary>
    public readonly int Count => _count;

    /// <summary>Items the queue can hold before it grows.</summary>
    public readonly int Capacity => _capacity;

    /// <summary>Adds <paramref name="item"/> at the tail.</summary>
    public void Enqueue(T item)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        var tail = _head + _count;
        _items[tail < _items.Length ? tail : tail - _items.Length] = item;
        _count++;
    }

    /// <summary>Takes the item at the head; false when the queue is empty.</summary>
    public bool TryDequeue(out T item)
    {
        if (_count == 0)
        {
            item = default!;
            return false;
        }

        item = _items[_head];
        _items[_head] = default!; // drop the reference, if any
        _head = _head + 1 == _items.Length ? 0 : _head + 1;
        _count--;
        return true;
    }

    /// <summary>Gives back the storage when the queue is empty.</summary>
    public void TrimExcess()
    {
        if (_count == 0)
        {
            _items = [];
            _head = 0;
            _capacity = 0;
        }
    }

    private void Grow()
    {
        var grown = new T[Math.Max(MinimumGrow, _items.Length * 2)];
        for (var i = 0; i < _count; i++)
        {
            var at = _head + i;
            grown[i] = _items[at < _items.Length ? at : at - _items.Length];
        }

        _items = grown;
        _head = 0;
        _capacity = grown.Length;
    }
}
