using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Dht.Protocol;

namespace Dht.Routing;

/// <summary>
/// Interns (node id, address) pairs as small integer handles with a reference count, so routing tables store a 4-byte
/// handle per contact instead of the 56 bytes of id and address (and no object reference at all).
/// </summary>
/// <remarks>
/// <para>Every <see cref="Acquire"/> must be matched by one <see cref="Release"/>; a pair's handle stays valid (and its
/// id and address readable) while its count is above zero, and its slot is reused afterwards. Handles are plain
/// integers: they carry no ordering or meaning, and nothing may depend on their values.</para>
/// <para>Each <see cref="DhtEngine"/> owns one by default. The simulator shares one among all its engines, so each
/// simulated node's id and address are stored once per process however many tables list it.</para>
/// <para>Memory: one 64-byte slot per distinct live pair and an index of 8-byte cells (a pair's 32-bit hash and its
/// handle) at most half full; the slot array only grows (doubling), freed slots are kept on a free list. Not
/// thread-safe: every table sharing a directory must be used from one thread at a time (the simulator's event loop
/// is single-threaded; a <c>DhtNode</c>'s engine has its own). The one exception is <see cref="AcquireHinted"/> with
/// right hints, which the simulator's warm start calls from several threads.</para>
/// </remarks>
internal sealed class PeerDirectory
{
    private const int InitialCapacity = 16;

    /// <summary>
    /// The index, by open addressing with linear probing: each cell holds a pair's hash and its handle, or
    /// <see cref="Cell.Empty"/>. A lookup reads the cells from the pair's hash on and compares a pair's slot only where
    /// the 32-bit hashes agree, so finding a pair reads this array and the one slot, where a dictionary read its bucket
    /// array, its entry array and then the slot (at 10^5-10^6 simulated nodes, each a cache miss). Removal shifts later
    /// cells of the run back (no tombstones), so a run stays as short as the load allows. The hash combines the id's
    /// and the address's own hashes (<see cref="HashCode"/>, seeded per process) as the dictionary's record key did, so
    /// chosen ids and addresses cannot aim at one run. Its length is a power of two and it grows before it is half full.
    /// </summary>
    private Cell[] _index = [];
    private Slot[] _slots = [];
    private int _used;
    private int _freeHead = -1;

    /// <summary>The number of distinct pairs currently held (reference count above zero).</summary>
    public int Count { get; private set; }

    /// <summary>Slots allocated so far (live and free): the high-water mark of <see cref="Count"/>.</summary>
    public int Capacity => _used;

    /// <summary>
    /// Returns the handle of (<paramref name="id"/>, <paramref name="address"/>), adding the pair when it is new, and
    /// takes one reference on it.
    /// </summary>
    public int Acquire(NodeId id, PeerAddress address)
    {
        var hash = HashOf(id, address);
        var cell = FindCell(id, address, hash);
        if (cell >= 0)
        {
            var found = _index[cell].Handle;
            _slots[found].References++;
            return found;
        }

        if (2 * (Count + 1) > _index.Length)
        {
            GrowIndex();
        }

        var handle = AllocateSlot();
        _slots[handle] = new Slot { Id = id, Address = address, References = 1, NextFree = -1 };
        Place(new Cell(hash, handle));
        Count++;
        return handle;
    }

    /// <summary>
    /// <see cref="Acquire(NodeId, PeerAddress)"/> given a handle that may already hold the pair: when it does, its count
    /// goes up without a lookup in the index. Any other <paramref name="hint"/> (a free slot, another pair, out of range)
    /// falls back to the lookup, so a wrong hint costs time, never a wrong handle. With a right hint the count is raised
    /// atomically, so several threads may acquire pairs through hints they hold at once, provided nothing else changes
    /// the directory meanwhile (the simulator's warm start fills tables in parallel this way); the directory is otherwise
    /// single-threaded.
    /// </summary>
    public int AcquireHinted(NodeId id, PeerAddress address, int hint)
    {
        if ((uint)hint < (uint)_used)
        {
            ref var slot = ref _slots[hint];
            if (slot.References > 0 && slot.Id == id && slot.Address == address)
            {
                // Atomic: the simulator's warm start fills tables on several threads, which share only these counts
                // (each thread's hints hold the pairs, so no slot is freed or reused meanwhile).
                Interlocked.Increment(ref slot.References);
                return hint;
            }
        }

        return Acquire(id, address);
    }

    /// <summary>Finds the handle of a pair without taking a reference.</summary>
    public bool TryFind(NodeId id, PeerAddress address, out int handle)
    {
        var cell = FindCell(id, address, HashOf(id, address));
        handle = cell >= 0 ? _index[cell].Handle : 0;
        return cell >= 0;
    }

    /// <summary>Drops one reference; the pair is forgotten and its slot reused when none is left.</summary>
    /// <exception cref="InvalidOperationException">The handle is not held (a release without an acquire).</exception>
    public void Release(int handle)
    {
        ref var slot = ref Live(handle);
        if (--slot.References > 0)
        {
            return;
        }

        RemoveCell(FindCell(slot.Id, slot.Address, HashOf(slot.Id, slot.Address)));
        Count--;
        slot = new Slot { NextFree = _freeHead };
        _freeHead = handle;
    }

    /// <summary>Hints the slot of a held handle (see <see cref="MemoryHint"/>).</summary>
    public void Hint(int handle)
    {
        if ((uint)handle < (uint)_used)
        {
            MemoryHint.Element(_slots, handle);
        }
    }

    /// <summary>
    /// Hints the index cell where a lookup of (<paramref name="id"/>, <paramref name="address"/>) starts: interning a
    /// new session's pair reads it (see <see cref="MemoryHint"/>).
    /// </summary>
    public void HintCell(NodeId id, PeerAddress address)
    {
        var index = _index;
        if (index.Length > 0)
        {
            MemoryHint.Element(index, HashOf(id, address) & (index.Length - 1));
        }
    }

    /// <summary>The node id of a held handle.</summary>
    public NodeId IdOf(int handle) => Live(handle).Id;

    /// <summary>The node id of a held handle, by reference (no copy of its 32 bytes), valid until the directory changes.</summary>
    public ref readonly NodeId IdRefOf(int handle) => ref Live(handle).Id;

    /// <summary>The address of a held handle.</summary>
    public PeerAddress AddressOf(int handle) => Live(handle).Address;

    /// <summary>The number of references held on <paramref name="handle"/> (0 when it is not held).</summary>
    public int ReferencesOf(int handle) =>
        (uint)handle < (uint)_used ? _slots[handle].References : 0;

    // Inlined: every read of an id or address passes here (a FIND_NODE answer, tens per datagram), and as a call it was
    // a sixth of the answer's time in FindClosestBenchmarks.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Slot Live(int handle)
    {
        if ((uint)handle >= (uint)_used || _slots[handle].References <= 0)
        {
            ThrowNotHeld(handle);
        }

        return ref _slots[handle];
    }

    // A method of its own: an interpolated message built inline puts its handler on this method's frame, which every
    // call (tens per datagram) would zero in its prologue.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotHeld(int handle) => throw new InvalidOperationException($"Peer handle {handle} is not held.");

    private int AllocateSlot()
    {
        if (_freeHead >= 0)
        {
            var reused = _freeHead;
            _freeHead = _slots[reused].NextFree;
            return reused;
        }

        if (_used == _slots.Length)
        {
            Array.Resize(ref _slots, Math.Max(InitialCapacity, _slots.Length * 2));
        }

        return _used++;
    }

    private static int HashOf(NodeId id, PeerAddress address) => unchecked((id.GetHashCode() * -1521134295) + address.GetHashCode());

    /// <summary>The index cell holding the pair, or -1.</summary>
    private int FindCell(NodeId id, PeerAddress address, int hash)
    {
        if (Count == 0)
        {
            return -1;
        }

        var mask = _index.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            ref readonly var cell = ref _index[i];
            if (cell.Handle == Cell.Empty)
            {
                return -1;
            }

            if (cell.Hash == hash)
            {
                ref readonly var slot = ref _slots[cell.Handle];
                if (slot.Id == id && slot.Address == address)
                {
                    return i;
                }
            }
        }
    }

    /// <summary>
    /// Empties cell <paramref name="hole"/> and moves back each later cell of its run whose home position (its hash's
    /// cell) is not between the hole and itself, so every pair stays reachable from its home without tombstones.
    /// </summary>
    private void RemoveCell(int hole)
    {
        var mask = _index.Length - 1;
        for (var i = (hole + 1) & mask; _index[i].Handle != Cell.Empty; i = (i + 1) & mask)
        {
            var home = _index[i].Hash & mask;

            // The cell may move to the hole when its home is not in the cyclic range (hole, i].
            var stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
            if (!stays)
            {
                _index[hole] = _index[i];
                hole = i;
            }
        }

        _index[hole] = new Cell(0, Cell.Empty);
    }

    /// <summary>Doubles the index (from 32 cells), placing every pair again from its stored hash: no slot is read.</summary>
    private void GrowIndex()
    {
        var old = _index;
        _index = new Cell[Math.Max(2 * InitialCapacity, 2 * old.Length)];
        _index.AsSpan().Fill(new Cell(0, Cell.Empty));
        foreach (var cell in old)
        {
            if (cell.Handle != Cell.Empty)
            {
                Place(cell);
            }
        }
    }

    /// <summary>Puts <paramref name="cell"/> in the first empty cell from its hash's home on (the index has room).</summary>
    private void Place(Cell cell)
    {
        var mask = _index.Length - 1;
        var i = cell.Hash & mask;
        while (_index[i].Handle != Cell.Empty)
        {
            i = (i + 1) & mask;
        }

        _index[i] = cell;
    }

    /// <summary>One cell of the index: a pair's hash and its handle, or <see cref="Empty"/> as the handle.</summary>
    private readonly record struct Cell(int Hash, int Handle)
    {
        public const int Empty = -1;
    }

    /// <summary>A pair and its reference count; free slots (count 0) link to the next free slot.</summary>
    private struct Slot
    {
        public NodeId Id;
        public PeerAddress Address;
        public int References;
        public int NextFree;
    }
}
