using System.Numerics;

namespace Dht.Simulator.World;

/// <summary>
/// The world's pending node wake-ups in (time, sequence) order, as a calendar: a ring of buckets of 2^16 ticks (6.6 ms)
/// covering the next 54 s, a small heap for the bucket being taken out, and a <see cref="WakeHeap"/> for wake-ups past
/// the ring.
/// </summary>
/// <remarks>
/// Wake-ups are mostly maintenance ticks, scheduled one interval (30 s by default) ahead of the one being run, and
/// taken out in time order. In one heap of 10^5 entries, each removal walked eight levels of a 1.6 MB array that
/// the engines' own reads keep pushing out of the core's caches (a third of the samples of a run of ticks only). Here
/// a wake-up is appended to its bucket's array when scheduled (one write), and a bucket's entries move into the small
/// heap, which stays in the first-level cache, when the calendar reaches it (one sequential read); the order is exactly
/// that of one heap, since every entry of an earlier bucket comes before every entry of a later one. A wake-up
/// scheduled beyond the ring waits in the overflow heap and moves into the ring when the ring reaches its bucket.
/// Empty buckets are skipped through a bitmap.
/// </remarks>
internal sealed class WakeCalendar : IDisposable
{
    private const int BucketShift = 16;
    private const int RingBits = 13;
    private const int RingSize = 1 << RingBits;
    private const int RingMask = RingSize - 1;

    private readonly WakeHeap _current = new(); // the entries of bucket _currentBucket (and any earlier)
    private readonly WakeHeap _overflow = new(); // the entries of buckets at or past _currentBucket + RingSize
    private readonly WakeHeap.Entry[][] _buckets = new WakeHeap.Entry[RingSize][];
    private readonly int[] _bucketCounts = new int[RingSize];
    private readonly ulong[] _occupied = new ulong[RingSize / 64];
    private long _currentBucket;
    private int _inRing;

    /// <summary>Wake-ups pending.</summary>
    public int Count => _current.Count + _inRing + _overflow.Count;

    /// <summary>Adds the wake-up of <paramref name="node"/> at <paramref name="time"/>, scheduled as <paramref name="sequence"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The node or the sequence number does not fit an entry.</exception>
    public void Push(long time, long sequence, int node)
    {
        var entry = WakeHeap.Entry.Create(time, sequence, node);
        var bucket = time >> BucketShift;
        if (Count == 0)
        {
            _currentBucket = bucket;
        }

        if (bucket <= _currentBucket)
        {
            _current.Push(entry);
        }
        else if (bucket - _currentBucket < RingSize)
        {
            AddToRing(bucket, entry);
        }
        else
        {
            _overflow.Push(entry);
        }
    }

    /// <summary>The earliest wake-up without removing it; false when none is pending.</summary>
    public bool TryPeek(out long time, out long sequence, out int node)
    {
        if (_current.Count == 0 && !Advance())
        {
            time = sequence = node = 0;
            return false;
        }

        return _current.TryPeek(out time, out sequence, out node);
    }

    /// <summary>Removes and returns the earliest wake-up; false when none is pending.</summary>
    public bool TryPop(out long time, out long sequence, out int node)
    {
        if (_current.Count == 0 && !Advance())
        {
            time = sequence = node = 0;
            return false;
        }

        return _current.TryPop(out time, out sequence, out node);
    }

    public void Dispose()
    {
        _current.Dispose();
        _overflow.Dispose();
    }

    private void AddToRing(long bucket, WakeHeap.Entry entry)
    {
        var slot = (int)(bucket & RingMask);
        var items = _buckets[slot];
        var count = _bucketCounts[slot];
        if (items is null || count == items.Length)
        {
            Array.Resize(ref _buckets[slot], Math.Max(4, count * 2));
            items = _buckets[slot];
        }

        items[count] = entry;
        _bucketCounts[slot] = count + 1;
        _occupied[slot >> 6] |= 1UL << (slot & 63);
        _inRing++;
    }

    /// <summary>
    /// Moves the calendar to the next bucket holding a wake-up and that bucket's entries into the small heap; false
    /// when nothing is pending. The small heap is empty on entry.
    /// </summary>
    private bool Advance()
    {
        if (_inRing == 0 && _overflow.Count == 0)
        {
            return false;
        }

        // The next occupied bucket in the ring, or the overflow's first when the ring holds nothing before it.
        var next = _inRing > 0 ? NextOccupied() : long.MaxValue;
        if (_overflow.TryPeek(out var overflowTime, out _, out _))
        {
            next = Math.Min(next, overflowTime >> BucketShift);
        }

        _currentBucket = next;
        var slot = (int)(next & RingMask);
        if ((_occupied[slot >> 6] & (1UL << (slot & 63))) != 0)
        {
            var items = _buckets[slot];
            var count = _bucketCounts[slot];
            for (var i = 0; i < count; i++)
            {
                _current.Push(items[i]);
            }

            _bucketCounts[slot] = 0;
            _occupied[slot >> 6] &= ~(1UL << (slot & 63));
            _inRing -= count;
        }

        // Overflow entries whose buckets the ring now covers move in (those of the current bucket to the small heap).
        while (_overflow.TryPeek(out var time, out _, out _) && (time >> BucketShift) - _currentBucket < RingSize)
        {
            _overflow.TryPopEntry(out var entry);
            var bucket = time >> BucketShift;
            if (bucket <= _currentBucket)
            {
                _current.Push(entry);
            }
            else
            {
                AddToRing(bucket, entry);
            }
        }

        return true;
    }

    /// <summary>The first occupied bucket after the current one (the ring holds at least one entry).</summary>
    private long NextOccupied()
    {
        var start = (int)((_currentBucket + 1) & RingMask);
        var word = start >> 6;
        var bits = _occupied[word] & (ulong.MaxValue << (start & 63));
        while (bits == 0)
        {
            word = (word + 1) & ((RingSize / 64) - 1);
            bits = _occupied[word];
        }

        var slot = (word << 6) + BitOperations.TrailingZeroCount(bits);
        return _currentBucket + 1 + ((slot - start) & RingMask);
    }
}
