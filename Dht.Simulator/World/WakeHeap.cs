using System.Runtime.InteropServices;

namespace Dht.Simulator.World;

/// <summary>
/// Node wake-ups in (time, sequence) order: a 4-ary min-heap of 16-byte entries (the time, and the sequence number and
/// the node packed into one word) in memory aligned so that the four children of an entry fill exactly one 64-byte
/// cache line. <see cref="WakeCalendar"/> uses one for the bucket it is taking out and one for wake-ups past its ring.
/// </summary>
/// <remarks>
/// It was the world's whole wake-up queue for a while (10^5 to 10^6 entries). With
/// <see cref="PriorityQueue{TElement, TPriority}"/> an entry was the event and its key, 40 bytes, so the four children
/// a removal compares at each level spread over three or four cache lines and a 10^5-node heap (4 MB) did not fit in a
/// core's L2; here each level reads one line and such a heap takes 1.6 MB (docs/benchmarks-history.md, "2026-11-28,
/// eighth round"). A wake-up carries nothing but its node, so nothing is lost by keeping only that. The memory is
/// allocated outside the managed heap, because the runtime aligns arrays to 8 bytes only; <see cref="Dispose"/> frees
/// it (and the finalizer, should a world never be disposed).
/// </remarks>
internal sealed unsafe class WakeHeap : IDisposable
{
    private const int NodeBits = 22;
    private const int MinimumCapacity = 64;

    /// <summary>The largest node index a wake-up can carry (4,194,303; the command line allows 2,000,000 nodes).</summary>
    internal const int MaxNode = (1 << NodeBits) - 1;

    /// <summary>The largest sequence number a wake-up can carry (2^42 - 1: weeks of events at any rate the world reaches).</summary>
    internal const long MaxSequence = (1L << (64 - NodeBits)) - 1;

    private Entry* _block; // the aligned allocation
    private Entry* _heap; // _block + 3: the children of entry i, 4i + 1 .. 4i + 4, start on a cache line
    private int _capacity;
    private int _count;

    /// <summary>Wake-ups pending.</summary>
    public int Count => _count;

    /// <summary>Adds the wake-up of <paramref name="node"/> at <paramref name="time"/>, scheduled as <paramref name="sequence"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The node or the sequence number does not fit an entry.</exception>
    public void Push(long time, long sequence, int node) => Push(Entry.Create(time, sequence, node));

    /// <summary>Adds <paramref name="entry"/>.</summary>
    public void Push(Entry entry)
    {
        ObjectDisposedException.ThrowIf(_capacity < 0, this);
        if (_count == _capacity)
        {
            Grow();
        }

        var heap = _heap;
        var hole = _count++;
        while (hole > 0)
        {
            var parent = (hole - 1) >> 2;
            if (!entry.IsBefore(heap[parent]))
            {
                break;
            }

            heap[hole] = heap[parent];
            hole = parent;
        }

        heap[hole] = entry;
    }

    /// <summary>The earliest wake-up without removing it; false when none is pending.</summary>
    public bool TryPeek(out long time, out long sequence, out int node)
    {
        if (_count == 0)
        {
            time = sequence = node = 0;
            return false;
        }

        _heap[0].Deconstruct(out time, out sequence, out node);
        return true;
    }

    /// <summary>Removes and returns the earliest wake-up; false when none is pending.</summary>
    public bool TryPop(out long time, out long sequence, out int node)
    {
        if (!TryPopEntry(out var entry))
        {
            time = sequence = node = 0;
            return false;
        }

        entry.Deconstruct(out time, out sequence, out node);
        return true;
    }

    /// <summary>Removes and returns the earliest entry; false when none is pending.</summary>
    public bool TryPopEntry(out Entry entry)
    {
        if (_count == 0)
        {
            entry = default;
            return false;
        }

        entry = _heap[0];
        var last = _heap[--_count];
        if (_count > 0)
        {
            SiftDown(last);
        }

        return true;
    }

    /// <summary>Frees the heap's memory; the heap holds nothing afterwards and refuses new wake-ups.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~WakeHeap() => Free();

    private void Free()
    {
        if (_block != null)
        {
            NativeMemory.AlignedFree(_block);
            _block = null;
            _heap = null;
        }

        _count = 0;
        _capacity = -1;
    }

    /// <summary>Moves <paramref name="entry"/> (the last one) down from the root into its place.</summary>
    private void SiftDown(Entry entry)
    {
        var heap = _heap;
        var count = _count;
        var hole = 0;
        while (true)
        {
            var first = (4 * hole) + 1;
            if (first >= count)
            {
                break;
            }

            int least;
            if (first + 3 < count)
            {
                // All four children, one cache line: the least of two pairs, then of the two winners.
                var a = heap[first + 1].IsBefore(heap[first]) ? first + 1 : first;
                var b = heap[first + 3].IsBefore(heap[first + 2]) ? first + 3 : first + 2;
                least = heap[b].IsBefore(heap[a]) ? b : a;
            }
            else
            {
                least = first;
                for (var c = first + 1; c < count; c++)
                {
                    if (heap[c].IsBefore(heap[least]))
                    {
                        least = c;
                    }
                }
            }

            if (!heap[least].IsBefore(entry))
            {
                break;
            }

            heap[hole] = heap[least];
            hole = least;
        }

        heap[hole] = entry;
    }

    private void Grow()
    {
        var capacity = Math.Max(MinimumCapacity, _capacity * 2);
        var block = (Entry*)NativeMemory.AlignedAlloc((nuint)(capacity + 3) * (nuint)sizeof(Entry), 64);
        var heap = block + 3;
        if (_block != null)
        {
            Buffer.MemoryCopy(_heap, heap, (long)capacity * sizeof(Entry), (long)_count * sizeof(Entry));
            NativeMemory.AlignedFree(_block);
        }

        _block = block;
        _heap = heap;
        _capacity = capacity;
    }

    /// <summary>A wake-up: its time, and its sequence number and node packed in one word.</summary>
    internal readonly struct Entry(long time, ulong order)
    {
        private readonly long _time = time;
        private readonly ulong _order = order; // sequence << NodeBits | node: sequences are unique, so this orders ties

        /// <exception cref="ArgumentOutOfRangeException">The node or the sequence number does not fit an entry.</exception>
        public static Entry Create(long time, long sequence, int node)
        {
            if ((uint)node > MaxNode)
            {
                throw new ArgumentOutOfRangeException(nameof(node), node, $"a wake-up's node index must be 0 .. {MaxNode}");
            }

            if ((ulong)sequence > MaxSequence)
            {
                throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"a wake-up's sequence number must be 0 .. {MaxSequence}");
            }

            return new Entry(time, ((ulong)sequence << NodeBits) | (uint)node);
        }

        public bool IsBefore(in Entry other) => _time < other._time || (_time == other._time && _order < other._order);

        public void Deconstruct(out long time, out long sequence, out int node)
        {
            time = _time;
            sequence = (long)(_order >> NodeBits);
            node = (int)(_order & MaxNode);
        }
    }
}
