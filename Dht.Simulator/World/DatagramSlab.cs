namespace Dht.Simulator.World;

/// <summary>
/// Storage for the datagrams in flight, sized to each datagram rather than to the largest one. Lengths are rounded up
/// to a size class (multiples of <see cref="Granularity"/> bytes up to <see cref="MaxLength"/>); each class carves
/// fixed slots out of chunks of at most <see cref="MaxChunkBytes"/> (off the large object heap) and keeps an int stack
/// of free slots, reused last in, first out. A slot is named by an int handle (class in bits 24–30, slot below), so an
/// event refers to its bytes by number and the event queue holds no object references.
/// </summary>
/// <remarks>
/// Not thread-safe: the world runs on one thread. Renting allocates only when a class runs out of free slots (a new
/// chunk, and larger free stack and rented bitmap), so a run in steady state allocates nothing per datagram. Memory
/// is never given back: a class keeps the chunks of its peak. Handles not currently rented are rejected, so a
/// datagram returned twice throws instead of ending up shared by two events.
/// </remarks>
internal sealed class DatagramSlab
{
    /// <summary>Size classes are the multiples of this, up to <see cref="MaxLength"/>: at most 15 bytes wasted per datagram.</summary>
    public const int Granularity = 16;

    /// <summary>The largest chunk of one class: below the large object heap's 85,000 bytes.</summary>
    public const int MaxChunkBytes = 64 * 1024;

    /// <summary>The longest datagram a slot holds: the wire format's maximum.</summary>
    public const int MaxLength = Dht.Wire.WireConstants.MaxDatagramSize;

    private const int ClassShift = 24;
    private const int SlotMask = (1 << ClassShift) - 1;

    private readonly SizeClass?[] _classes = new SizeClass?[((MaxLength + Granularity - 1) / Granularity) + 1];

    /// <summary>Bytes held in chunks, rented or free.</summary>
    public long BytesReserved { get; private set; }

    /// <summary>Bytes of the slots rented now (slot sizes, so at most 15 bytes more per datagram than its length).</summary>
    public long BytesInUse { get; private set; }

    /// <summary>Slots rented now.</summary>
    public int SlotsInUse { get; private set; }

    /// <summary>Rents a slot for a datagram of <paramref name="length"/> bytes (1 to <see cref="MaxLength"/>).</summary>
    /// <returns>A non-negative handle for <see cref="Get"/> and <see cref="Return"/>.</returns>
    public int Rent(int length)
    {
        if (length < 1 || length > MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"a datagram is 1 to {MaxLength} bytes");
        }

        var index = (length + Granularity - 1) / Granularity;
        var sizeClass = _classes[index] ??= new SizeClass(index * Granularity);
        if (!sizeClass.TryPopFree(out var slot))
        {
            if (sizeClass.Carved == sizeClass.Capacity)
            {
                BytesReserved += sizeClass.AddChunk();
            }

            slot = sizeClass.Carved++;
        }

        sizeClass.SetRented(slot, true);
        BytesInUse += sizeClass.SlotSize;
        SlotsInUse++;
        return (index << ClassShift) | slot;
    }

    /// <summary>The first <paramref name="length"/> bytes of a rented slot.</summary>
    public Span<byte> Get(int handle, int length)
    {
        var sizeClass = Resolve(handle, out var slot);
        if (length < 1 || length > sizeClass.SlotSize)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"slot {handle} holds 1 to {sizeClass.SlotSize} bytes");
        }

        return sizeClass.Chunks[slot >> sizeClass.ChunkShift].AsSpan((slot & sizeClass.ChunkMask) * sizeClass.SlotSize, length);
    }

    /// <summary>Gives a rented slot back; the next <see cref="Rent"/> of its class reuses it first.</summary>
    public void Return(int handle)
    {
        var sizeClass = Resolve(handle, out var slot);
        sizeClass.SetRented(slot, false);
        sizeClass.PushFree(slot);
        BytesInUse -= sizeClass.SlotSize;
        SlotsInUse--;
    }

    private SizeClass Resolve(int handle, out int slot)
    {
        slot = handle & SlotMask;
        var index = handle >> ClassShift;
        if (handle < 0 || index >= _classes.Length || _classes[index] is not { } sizeClass || !sizeClass.IsRented(slot))
        {
            throw new ArgumentOutOfRangeException(nameof(handle), handle, "not a rented datagram slot");
        }

        return sizeClass;
    }

    /// <summary>One size class: chunks of 2^ChunkShift slots, the free stack and a bit per carved slot (set while rented).</summary>
    private sealed class SizeClass
    {
        private int[] _free = [];
        private int _freeCount;
        private ulong[] _rented = [];

        public SizeClass(int slotSize)
        {
            SlotSize = slotSize;
            ChunkShift = System.Numerics.BitOperations.Log2((uint)(MaxChunkBytes / slotSize));
            ChunkMask = (1 << ChunkShift) - 1;
        }

        public int SlotSize { get; }

        public int ChunkShift { get; }

        public int ChunkMask { get; }

        public List<byte[]> Chunks { get; } = [];

        /// <summary>Slots handed out at least once; those below it are rented or on the free stack.</summary>
        public int Carved { get; set; }

        public int Capacity => Chunks.Count << ChunkShift;

        /// <summary>Adds a chunk and grows the free stack and bitmap to cover it, so returning a slot never allocates.</summary>
        /// <returns>The bytes reserved.</returns>
        public int AddChunk()
        {
            if (Capacity + (1 << ChunkShift) > SlotMask + 1)
            {
                throw new InvalidOperationException($"more than {SlotMask + 1} datagrams of {SlotSize} bytes in flight");
            }

            var chunk = new byte[SlotSize << ChunkShift];
            Chunks.Add(chunk);
            if (_free.Length < Capacity)
            {
                // Doubling: growing by one chunk at a time would copy the stack once per chunk.
                Array.Resize(ref _free, Math.Max(Capacity, 2 * _free.Length));
                Array.Resize(ref _rented, (_free.Length + 63) / 64);
            }

            return chunk.Length;
        }

        public bool TryPopFree(out int slot)
        {
            if (_freeCount == 0)
            {
                slot = -1;
                return false;
            }

            slot = _free[--_freeCount];
            return true;
        }

        public void PushFree(int slot) => _free[_freeCount++] = slot;

        public bool IsRented(int slot) => slot < Carved && (_rented[slot >> 6] & (1UL << slot)) != 0;

        public void SetRented(int slot, bool rented)
        {
            if (rented)
            {
                _rented[slot >> 6] |= 1UL << slot;
            }
            else
            {
                _rented[slot >> 6] &= ~(1UL << slot);
            }
        }
    }
}
