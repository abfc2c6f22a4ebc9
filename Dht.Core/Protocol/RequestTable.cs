using System.Buffers;

namespace Dht.Protocol;

/// <summary>
/// The engine's requests in flight by request id: an open-addressing hash table (linear probing, at most half full,
/// deletion by backward shift) whose slots hold the id and the request object side by side.
/// </summary>
/// <remarks>
/// Written here rather than using <see cref="Dictionary{TKey, TValue}"/> because matching a response is on every
/// answered datagram's path, and a dictionary is three objects (itself, its bucket array and its entry array): at 10^5
/// simulated engines each is a cache miss (docs/benchmarks.md). Here a lookup reads one slot of one array. The table is
/// only looked up by id, never enumerated, so its layout decides nothing. Request ids are drawn by the engine's own
/// generator, never by a peer (an answer's id only probes). A struct held inline in its engine (never copied: the
/// engine's field is mutable and every call is on it), so a lookup reads the engine's cache line and one slot of the
/// array.
/// <para>The slot arrays come from <see cref="ArrayPool{T}.Shared"/> and go back to it, cleared, when the table grows
/// or is trimmed: an engine's table empties after every burst of requests and the engine trims it on its next tick
/// (see <c>DhtEngine.TrimAfterBurst</c>), so with arrays of its own every burst allocated them again (in the
/// simulator's <c>steady-100k</c> at 10^5 nodes, an eighth of the bytes the event loop allocated). The pool's arrays
/// are powers of two from 16 slots on, as the probing needs.</para>
/// </remarks>
internal struct RequestTable
{
    /// <summary>The smallest array the shared pool hands out; every size is a power of two.</summary>
    private const int MinimumSlots = 16;

    /// <summary>Tables with more slots than this (8 lines of 16-byte slots) are not hinted: a hint per line would cost more than it saves.</summary>
    private const int MaxHintedSlots = 32;

    private Slot[] _slots = [];

    // _slots.Length, kept beside the count so that the engine's maintenance tick, which asks for it to decide on
    // trimming, reads no array (at 10^5 simulated engines, a cache miss per tick).
    private int _capacity;

    /// <summary>An empty table.</summary>
    public RequestTable()
    {
    }

    /// <summary>Requests held.</summary>
    public int Count { get; private set; }

    /// <summary>Slots allocated (0 until the first request, and again after <see cref="TrimExcess"/> on an empty table).</summary>
    public readonly int Capacity => _capacity;

    /// <summary>Adds the request under <paramref name="id"/>, replacing one held under the same id.</summary>
    public PendingRequest this[ulong id]
    {
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if ((Count + 1) * 2 > _slots.Length)
            {
                Resize(Math.Max(MinimumSlots, _slots.Length * 2));
            }

            var mask = _slots.Length - 1;
            var i = Home(id, mask);
            while (_slots[i].Value is not null && _slots[i].Id != id)
            {
                i = (i + 1) & mask;
            }

            Count += _slots[i].Value is null ? 1 : 0;
            _slots[i] = new Slot(id, value);
        }
    }

    /// <summary>
    /// Hints the table's slots, header included (see <see cref="MemoryHint"/>), when it holds requests and has at most
    /// <see cref="MaxHintedSlots"/> slots: an answer looks one up by an id known only once its datagram is opened.
    /// </summary>
    public readonly void HintSlots()
    {
        if (Count > 0 && _capacity <= MaxHintedSlots)
        {
            MemoryHint.Elements(_slots, _capacity);
        }
    }

    /// <summary>
    /// The second step after <see cref="HintSlots"/>, once its lines have arrived: hints the first line of every request
    /// held (at most <see cref="MaxHintedSlots"/> / 2), one of which an answer will read. Reads the slots.
    /// </summary>
    public readonly void HintRequests()
    {
        if (Count > 0 && _capacity <= MaxHintedSlots)
        {
            foreach (ref readonly var slot in _slots.AsSpan())
            {
                if (slot.Value is { } request)
                {
                    MemoryHint.Object(request);
                }
            }
        }
    }

    public bool TryGetValue(ulong id, out PendingRequest request)
    {
        var i = IndexOf(id);
        request = i >= 0 ? _slots[i].Value! : null!;
        return i >= 0;
    }

    public bool ContainsKey(ulong id) => IndexOf(id) >= 0;

    public bool Remove(ulong id) => Remove(id, out _);

    public bool Remove(ulong id, out PendingRequest request)
    {
        var i = IndexOf(id);
        if (i < 0)
        {
            request = null!;
            return false;
        }

        request = _slots[i].Value!;
        Count--;

        // Backward shift: move later entries of the run up into the hole when their home allows it, so no tombstones.
        var mask = _slots.Length - 1;
        var hole = i;
        var j = (i + 1) & mask;
        while (_slots[j].Value is not null)
        {
            var home = Home(_slots[j].Id, mask);

            // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
            var homeAfterHole = ((home - hole - 1) & mask) < ((j - hole) & mask);
            if (!homeAfterHole)
            {
                _slots[hole] = _slots[j];
                hole = j;
            }

            j = (j + 1) & mask;
        }

        _slots[hole] = default;
        return true;
    }

    /// <summary>Shrinks the slots to what the count needs (to none when empty).</summary>
    public void TrimExcess()
    {
        var needed = Count == 0 ? 0 : Math.Max(MinimumSlots, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(Count * 2)));
        if (needed < _slots.Length)
        {
            Resize(needed);
        }
    }

    private int IndexOf(ulong id)
    {
        if (Count == 0)
        {
            return -1;
        }

        var mask = _slots.Length - 1;
        for (var i = Home(id, mask); _slots[i].Value is not null; i = (i + 1) & mask)
        {
            if (_slots[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private static int Home(ulong id, int mask) => (int)((id * 0x9E3779B97F4A7C15UL) >> 32) & mask;

    private void Resize(int slots)
    {
        var old = _slots;
        // A power of two: the pool hands out exactly that many slots (more would do as well, as the mask comes from the length).
        _slots = slots == 0 ? [] : ArrayPool<Slot>.Shared.Rent(slots);
        _capacity = _slots.Length;
        Count = 0;
        foreach (var slot in old)
        {
            if (slot.Value is not null)
            {
                this[slot.Id] = slot.Value;
            }
        }

        if (old.Length > 0)
        {
            // Cleared, so that the pool holds no request alive and the next table starts from empty slots.
            ArrayPool<Slot>.Shared.Return(old, clearArray: true);
        }
    }

    private readonly record struct Slot(ulong Id, PendingRequest? Value);
}
