using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dht.Routing;

namespace Dht.Security;

/// <summary>
/// Bounded least-recently-used cache of per-peer sessions. Deriving a session costs one X25519 agreement, so the cache
/// keeps the common path at symmetric crypto only. Eviction order depends only on the order of use.
/// </summary>
/// <remarks>
/// <para>
/// The simulator runs a hundred thousand engines with up to hundreds of sessions each, so a session is one struct in an
/// array the cache owns rather than a graph of objects: a handle on the peer's id and an address (where the peer was
/// reached, then the one its address token is for) in a <see cref="PeerDirectory"/> (the routing table's, shared by the simulator's engines, so an id listed by many tables and
/// sessions is stored once), the id's hash, the 32-byte key (zeroed when the session leaves), the address token, the
/// time of last use (<see cref="Clock"/>, for <see cref="ExpireIdle"/>), the links of the LRU list and of the hash chain
/// (as slot indices) and the first <see cref="InlineTags"/> nonce tags of the replay ring are all inline. The only
/// object a session may have is the overflow part of its replay ring, once it has seen more than
/// <see cref="InlineTags"/> datagrams, held in a side table by slot.
/// </para>
/// <para>
/// The entry array starts at <see cref="InitialSlots"/> slots and doubles up to the capacity when every slot is in use;
/// it shrinks only after a whole idle period at most half full (see <see cref="ExpireIdle"/>);
/// lookups go through a power-of-two array of chain heads (at least as long as the entry array) indexed by
/// <see cref="NodeId.GetHashCode"/>, which mixes all 32 bytes with the process's random seed, so chosen ids cannot
/// aim at one chain. Freed slots go to a free list and are reused first. Each slot has a generation, bumped when the
/// slot is freed, that the <see cref="Session"/> handles carry and check.
/// </para>
/// <para>
/// A struct, held inline in the engine object and used through references: at 10^5 simulated engines each object a
/// datagram reads is a cache miss, and as an object of its own the cache was one more on every datagram (finding a
/// session now reads the entry array straight from the engine's fields). A copy shares the entry array but not the
/// counts and list heads, so it must never be taken: pass it by <c>ref</c>. For the same reason a <see cref="Session"/>
/// handle holds no reference to its cache, and the per-session state is read and updated through the cache.
/// </para>
/// </remarks>
internal struct SessionCache
{
    /// <summary>Slots of the entry array when the first session arrives.</summary>
    internal const int InitialSlots = 4;

    /// <summary>
    /// Nonce tags of the replay ring held in the entry itself; the rest of the ring is an array of its own. At the end
    /// of a 20k-node steady-state run 90% of sessions had accepted one datagram and 99.6% at most two.
    /// </summary>
    internal const int InlineTags = 2;

    /// <summary>Bytes per session in the entry array (documented in architecture.md; a test pins it).</summary>
    internal static int EntrySize => Unsafe.SizeOf<Entry>();

    /// <summary>The most sessions a cache can hold: slot indices are kept in 16 bits, and the largest value means none.</summary>
    internal const int MaxCapacity = ushort.MaxValue;

    /// <summary>"No slot" in the 16-bit links of the LRU list, the hash chains and the free list.</summary>
    private const int None = ushort.MaxValue;

    private readonly ICryptoSuite _crypto;
    private readonly PeerDirectory _directory;
    private readonly int _capacity;
    private readonly int _replayWindow;

    private Entry[] _entries = [];

    /// <summary>
    /// The rest of the replay ring of each session that has seen more than <see cref="InlineTags"/> datagrams, by slot
    /// (0.4% of sessions in a steady-state run, so a side table rather than a reference in every entry). A session
    /// has an entry here exactly when its ring holds more than <see cref="InlineTags"/> tags.
    /// </summary>
    private Dictionary<int, ulong[]>? _overflow;

    /// <summary>
    /// Hash chains: chain i starts at <c>_entries[i].ChainHead</c> (a field of the entry array rather than an array of
    /// its own, so finding a session reads one array: at 10^5 engines each array is a cache miss). The number of chains
    /// is the largest power of two not above the entry array's length; this is its mask (-1 with no entries).
    /// </summary>
    private int _chainMask = -1;

    /// <summary>Slots handed out since the array was created or cleared; those past it have never held a session since.</summary>
    private int _used;

    /// <summary>Head of the list of freed slots, linked through <see cref="Entry.ChainNext"/>.</summary>
    private int _free = None;

    /// <summary>Most recently used slot.</summary>
    private int _head = None;

    /// <summary>Least recently used slot: the next to be evicted.</summary>
    private int _tail = None;

    /// <summary>
    /// Generation of slots created by <see cref="Grow"/>: above every generation an earlier array used (see
    /// <see cref="Compact"/>), so no handle into an earlier array matches a slot of the current one.
    /// </summary>
    private int _generationFloor;

    /// <summary>
    /// No session was last used before this instant: a lower bound that adding a session to an empty cache lowers to
    /// <see cref="Clock"/> and <see cref="ExpireIdle"/> sets exactly (the least recently used session's stamp), so a
    /// maintenance tick with nothing idle reads this object only, not the entry array (at 10^5 engines, a cache miss
    /// saved on every tick).
    /// </summary>
    private Protocol.Instant _noUseBefore = Protocol.Instant.MaxValue;

    /// <summary>Length of <see cref="_entries"/>, kept here for the same reason.</summary>
    private int _slots;

    /// <summary>
    /// Start of the current shrink window: <see cref="ExpireIdle"/> decides whether to shrink once per idle period
    /// (when its cutoff reaches this instant), from <see cref="_windowPeak"/>, then starts the next window.
    /// </summary>
    private Protocol.Instant _windowStart;

    /// <summary>The most sessions held at once since <see cref="_windowStart"/>.</summary>
    private int _windowPeak;

    /// <param name="crypto">Derives the session keys.</param>
    /// <param name="capacity">Sessions kept at most; the least recently used one is evicted beyond it.</param>
    /// <param name="replayWindow">Nonce tags remembered per session.</param>
    /// <param name="directory">
    /// Interns each session's peer id and token address (the engine passes its routing table's, which the simulator
    /// shares among its engines); null gives the cache its own.
    /// </param>
    public SessionCache(ICryptoSuite crypto, int capacity, int replayWindow, PeerDirectory? directory = null)
    {
        ArgumentNullException.ThrowIfNull(crypto);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(replayWindow, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replayWindow, ushort.MaxValue);
        _crypto = crypto;
        _directory = directory ?? new PeerDirectory();
        _capacity = capacity;
        _replayWindow = replayWindow;
    }

    public int Count { get; private set; }

    public int Capacity => _capacity;

    /// <summary>Slots of the entry array (tests check that it shrinks once most sessions expired).</summary>
    internal int Slots => _entries.Length;

    /// <summary>
    /// The owner's current time: a session found or added is stamped with it, and <see cref="ExpireIdle"/> compares
    /// the stamps with its cutoff. The engine sets it on every input. It never moves backwards (an earlier value is
    /// ignored), so the stamps grow along the LRU list and the least recently used session has the oldest one.
    /// </summary>
    public Protocol.Instant Clock
    {
        get;
        set => field = Protocol.Instant.Max(field, value);
    }

    /// <summary>Session keys derived so far (cached or not).</summary>
    public long Derivations { get; private set; }

    /// <summary>Finds the peer's session and marks it most recently used.</summary>
    public bool TryGet(NodeId peer, out Session session)
    {
        var slot = Find(peer);
        if (slot == None)
        {
            session = default;
            return false;
        }

        Touch(slot);
        session = HandleOf(slot);
        return true;
    }

    /// <summary>
    /// Derives a session key without caching it (for an inbound packet not yet authenticated): the caller either drops
    /// it or hands it to <see cref="Add"/>. False when the peer's key is unusable.
    /// </summary>
    public bool TryDerive(NodeId peer, out SessionKey key)
    {
        Derivations++;
        return _crypto.TryDeriveSessionKey(peer, out key);
    }

    /// <summary>
    /// Finds the cached session or derives and caches a new one (which may evict the least recently used one); false
    /// when the peer's key is unusable. <paramref name="address"/> is where the peer is being reached (see
    /// <see cref="Add"/>).
    /// </summary>
    public bool TryGetOrCreate(NodeId peer, Protocol.PeerAddress address, out Session session)
    {
        if (TryGet(peer, out session))
        {
            return true;
        }

        if (!TryDerive(peer, out var key))
        {
            return false;
        }

        session = Add(peer, address, key);
        return true;
    }

    /// <summary>
    /// The first instant at which <c>ExpireIdle(now - idleTimeout)</c> can do anything: drop a session (a cutoff past
    /// the least recently used session's stamp) or take its once-per-period shrink decision (a cutoff at or past the
    /// period's start). Before it, that call changes nothing.
    /// </summary>
    public readonly Protocol.Instant IdleWorkDueAt(TimeSpan idleTimeout) => Protocol.Instant.Min(
        _noUseBefore + idleTimeout + TimeSpan.FromTicks(1),
        _windowStart + idleTimeout);

    /// <summary>
    /// Drops the sessions last used before <paramref name="cutoff"/> (from the least recently used on). Once per idle
    /// period (the first call whose cutoff reaches the instant of the previous decision), when the cache held at most
    /// half of its entry array all through that period, it then moves the rest into an array of one and a half times
    /// their number (at least <see cref="InitialSlots"/>, or none at all when no session is left, as in a new cache).
    /// Every handle issued before the call may be stale after it.
    /// </summary>
    /// <returns>The number of sessions dropped.</returns>
    public int ExpireIdle(Protocol.Instant cutoff)
    {
        var expired = 0;
        if (cutoff > _noUseBefore)
        {
            while (_tail != None && _entries[_tail].LastUsed < cutoff)
            {
                Evict(_tail);
                expired++;
            }

            _noUseBefore = _tail == None ? Protocol.Instant.MaxValue : _entries[_tail].LastUsed;
        }

        // Shrink, to one and a half times the sessions left, only when the cache held at most half its slots all
        // through the last idle period: a slot costs 96 bytes and after a burst most engines keep only a few sessions,
        // but an engine whose sessions come and go within the period fills the array again soon, and shrinking it then
        // only makes garbage that has lived long enough to reach the collector's oldest generation (in a steady-state
        // run at 10^5 nodes, arrays shrunk and grown again were 171 MB of the dead objects at the peak). The decision
        // is taken once per idle period, on the first call whose cutoff reaches the window's start.
        if (cutoff >= _windowStart)
        {
            if (_slots > InitialSlots && _windowPeak <= _slots / 2)
            {
                Compact(Count == 0 ? 0 : Math.Max(InitialSlots, Count + (Count / 2)));
            }

            _windowStart = Clock;
            _windowPeak = Count;
        }

        return expired;
    }

    /// <summary>
    /// Caches a session with <paramref name="key"/>, evicting the least recently used one when full. When the peer
    /// already has a session, that one is kept (with its key) and marked most recently used. Returns the cached session.
    /// The session holds its id through the directory pair (<paramref name="peer"/>, <paramref name="address"/>): the
    /// address the peer is talking from or being sent to, which tables usually list already, so interning it costs a
    /// lookup and no new slot, and the address token that peer then gives us is for that address.
    /// </summary>
    public Session Add(NodeId peer, Protocol.PeerAddress address, in SessionKey key)
    {
        var existing = Find(peer);
        if (existing != None)
        {
            Touch(existing);
            return HandleOf(existing);
        }

        while (Count >= _capacity)
        {
            Evict(_tail);
        }

        var slot = AllocateSlot();
        ref var e = ref _entries[slot];
        e.Peer = _directory.Acquire(peer, address);
        e.Hash = (ushort)peer.GetHashCode();
        e.Key = key;
        e.InUse = true;
        e.LastUsed = Clock;
        _noUseBefore = Protocol.Instant.Min(_noUseBefore, Clock);
        e.TokenLow = 0;
        e.TokenHigh = 0;
        e.HasToken = false;
        e.RingNext = 0;
        e.RingCount = 0;
        ref var head = ref _entries[ChainOf(e.Hash)].ChainHead;
        e.ChainNext = head;
        head = (ushort)slot;
        LinkFirst(slot);
        Count++;
        _windowPeak = Math.Max(_windowPeak, Count);
        return HandleOf(slot);
    }

    /// <summary>Drops every session, zeroing the keys. The arrays are kept.</summary>
    public void Clear()
    {
        for (var slot = _head; slot != None;)
        {
            ref var e = ref _entries[slot];
            var next = e.Next;
            Vacate(ref e);
            slot = next;
        }

        _overflow = null;
        foreach (ref var e in _entries.AsSpan())
        {
            e.ChainHead = None;
        }

        _head = _tail = _free = None;
        _used = 0;
        Count = 0;
        _noUseBefore = Protocol.Instant.MaxValue;
    }

    /// <summary>True when <paramref name="peer"/> has a cached session; unlike <see cref="TryGet"/>, changes no LRU order.</summary>
    internal bool Contains(NodeId peer) => Find(peer) != None;

    /// <summary>Slots whose key bytes are not all zero (tests check that a session's key is wiped when it leaves).</summary>
    internal int SlotsHoldingKeyMaterial()
    {
        var n = 0;
        foreach (ref readonly var e in _entries.AsSpan())
        {
            ReadOnlySpan<byte> key = e.Key;
            n += key.ContainsAnyExcept((byte)0) ? 1 : 0;
        }

        return n;
    }

    /// <summary>
    /// The (peer id, address) pair each cached session holds a directory reference on, most recently used first: the
    /// address its token was given for, or before a token the address the session was created for.
    /// </summary>
    internal IEnumerable<(NodeId Id, Protocol.PeerAddress Address)> DirectoryPairs()
    {
        for (var slot = _head; slot != None; slot = _entries[slot].Next)
        {
            var handle = _entries[slot].Peer;
            yield return (_directory.IdOf(handle), _directory.AddressOf(handle));
        }
    }

    // ------------------------------------------------------------ per-session state, reached through Session handles

    /// <summary>True while the session <paramref name="session"/> was issued for is still cached.</summary>
    public readonly bool IsCurrent(Session session) =>
        (uint)session.Slot < (uint)_entries.Length && _entries[session.Slot].Generation == session.Generation && _entries[session.Slot].InUse;

    /// <summary>The id of the session's peer.</summary>
    public readonly NodeId PeerOf(Session session) => _directory.IdOf(Live(session).Peer);

    /// <summary>The session key, read in place (valid until the next call that may add a session to the cache).</summary>
    public readonly ref readonly SessionKey KeyOf(Session session) => ref Live(session).Key;

    /// <summary>Remembers the address token this peer gave us, valid only from <paramref name="address"/>.</summary>
    public readonly void RememberToken(Session session, Protocol.PeerAddress address, UInt128 token)
    {
        ref var e = ref Live(session);
        if (_directory.AddressOf(e.Peer) != address)
        {
            // The token is for another address than the session's pair: move the session to that pair (acquire before
            // release, so the id stays interned when this session was its only holder).
            var moved = _directory.Acquire(_directory.IdOf(e.Peer), address);
            _directory.Release(e.Peer);
            e.Peer = moved;
        }

        e.TokenLow = (ulong)token;
        e.TokenHigh = (ulong)(token >> 64);
        e.HasToken = true;
    }

    /// <summary>The token this peer last gave us, when it was given to <paramref name="address"/>.</summary>
    public readonly bool TryGetToken(Session session, Protocol.PeerAddress address, out UInt128 token)
    {
        ref var e = ref Live(session);
        token = new UInt128(e.TokenHigh, e.TokenLow);
        return e.HasToken && _directory.AddressOf(e.Peer) == address;
    }

    /// <summary>
    /// Records a nonce tag in the session's ring of the last <c>replayWindow</c> accepted tags; false when it is there.
    /// The ring starts at min(window, <see cref="InlineTags"/>) tags (inline) and doubles up to the window through the
    /// overflow array (ring positions past the inline ones). It grows only when full and not yet window-sized, before it
    /// has wrapped, so growing keeps every tag: the accepted and rejected nonces are exactly those of a full-size ring.
    /// </summary>
    public bool TryAcceptNonce(Session session, ReadOnlySpan<byte> nonce)
    {
        ref var e = ref Live(session);
        var slot = session.Slot;
        var tag = BinaryPrimitives.ReadUInt64LittleEndian(nonce)
            ^ ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..]) << 17);
        int count = e.RingCount;
        var overflow = count > InlineTags ? _overflow![slot] : null;
        ReadOnlySpan<ulong> inline = e.Tags;
        if (inline[..Math.Min(count, InlineTags)].Contains(tag)
            || (overflow is not null && overflow.AsSpan(0, count - InlineTags).Contains(tag)))
        {
            return false;
        }

        var length = overflow is null ? Math.Min(_replayWindow, InlineTags) : InlineTags + overflow.Length;
        if (count == length && count < _replayWindow)
        {
            length = Math.Min(_replayWindow, 2 * count);
            Array.Resize(ref overflow, length - InlineTags);
            (_overflow ??= [])[slot] = overflow;
            e.RingNext = (ushort)count; // The ring wrapped to 0 when it filled; a full-size ring would be at count.
        }

        int next = e.RingNext;
        if (next < InlineTags)
        {
            e.Tags[next] = tag;
        }
        else
        {
            overflow![next - InlineTags] = tag;
        }

        e.RingNext = (ushort)((next + 1) % length);
        e.RingCount = (ushort)Math.Min(count + 1, length);
        return true;
    }

    // ------------------------------------------------------------ slots, chains and the LRU list

    private readonly Session HandleOf(int slot) => new(slot, _entries[slot].Generation);

    private readonly ref Entry Live(Session session)
    {
        if (!IsCurrent(session))
        {
            ThrowStale(session);
        }

        return ref _entries[session.Slot];
    }

    private static void ThrowStale(Session session) => throw new InvalidOperationException(session.IsDefault
        ? "Default session handle: no cache issued it."
        : "Stale session handle: its session was evicted or the cache cleared.");

    private readonly int ChainOf(ushort hash) => hash & _chainMask;

    /// <summary>
    /// Hints the entry holding the head of <paramref name="peer"/>'s hash chain, where <see cref="Find"/> starts (see
    /// <see cref="Protocol.MemoryHint"/>). The chain index is below the array's length by construction, so the array's
    /// header is not read for a bounds check: that load would be the very miss the hint is meant to start.
    /// </summary>
    public readonly void HintChain(NodeId peer)
    {
        if (Count > 0)
        {
            Protocol.MemoryHint.ElementAndHeader(_entries, ChainOf((ushort)peer.GetHashCode()));
        }
    }

    /// <summary>
    /// The second step after <see cref="HintChain"/>, once the lines it hinted have arrived: hints the entry the chain's
    /// head names, the first entry <see cref="Find"/> compares (in a cache of at most a few dozen sessions, nearly always
    /// the only one). Reads the chain head's entry, so issued before <see cref="HintChain"/>'s lines arrived it waits
    /// for them.
    /// </summary>
    public readonly void HintChainHead(NodeId peer)
    {
        if (Count > 0)
        {
            int head = _entries[ChainOf((ushort)peer.GetHashCode())].ChainHead;
            if (head != None)
            {
                Protocol.MemoryHint.WholeElement(_entries, head);
            }
        }
    }

    /// <summary>
    /// Hints the least recently used session's entry when the cache is full: a session added next (a request from a
    /// new peer, or one sent to a new peer, nearly every datagram in a steady-state run) evicts it, and the least
    /// recently used entry is cold by definition.
    /// </summary>
    public readonly void HintEvictee()
    {
        if (Count >= _capacity && _tail != None)
        {
            Protocol.MemoryHint.WholeElement(_entries, _tail);
        }
    }

    /// <summary>
    /// The second step after <see cref="HintEvictee"/>, once its lines have arrived: hints what evicting that session
    /// reads next, the entry holding the head of its hash chain and its directory slot. Reads the entry.
    /// </summary>
    public readonly void HintEvicteeDeep()
    {
        if (Count >= _capacity && _tail != None)
        {
            ref readonly var e = ref _entries[_tail];
            Protocol.MemoryHint.WholeElement(_entries, ChainOf(e.Hash));
            _directory.Hint(e.Peer);
        }
    }

    private int Find(NodeId peer)
    {
        if (Count == 0)
        {
            return None;
        }

        var hash = (ushort)peer.GetHashCode();
        for (int slot = _entries[ChainOf(hash)].ChainHead; slot != None; slot = _entries[slot].ChainNext)
        {
            ref readonly var e = ref _entries[slot];
            if (e.Hash == hash && _directory.IdOf(e.Peer) == peer)
            {
                return slot;
            }
        }

        return None;
    }

    private int AllocateSlot()
    {
        if (_free != None)
        {
            var slot = _free;
            _free = _entries[slot].ChainNext;
            return slot;
        }

        if (_used == _entries.Length)
        {
            Grow();
        }

        return _used++;
    }

    /// <summary>Doubles the entry array (up to the capacity) and, when it outgrows the chain heads, rehashes.</summary>
    /// <remarks>Called only with no free slot, so every slot below <see cref="_used"/> holds a session.</remarks>
    private void Grow()
    {
        var length = _entries.Length == 0 ? Math.Min(InitialSlots, _capacity) : Math.Min(2 * _entries.Length, _capacity);
        var grown = _entries.Length;
        var entries = new Entry[length];
        _entries.AsSpan().CopyTo(entries);
        _entries.AsSpan().Clear(); // the old array goes to the collector without key material
        _entries = entries;
        _slots = length;
        for (var slot = grown; slot < length; slot++)
        {
            _entries[slot].Generation = _generationFloor;
        }

        Rehash();
    }

    /// <summary>
    /// Chain heads for the entry array (the largest power of two of chains that fits in it; none for an empty array),
    /// and every session below <see cref="_used"/> linked into its chain again. Chains only speed up the search by id:
    /// their shape decides nothing else.
    /// </summary>
    private void Rehash()
    {
        _chainMask = _entries.Length == 0 ? -1 : (1 << BitOperations.Log2((uint)_entries.Length)) - 1;
        foreach (ref var e in _entries.AsSpan())
        {
            e.ChainHead = None;
        }

        for (var slot = 0; slot < _used; slot++)
        {
            ref var e = ref _entries[slot];
            if (!e.InUse)
            {
                continue;
            }

            ref var head = ref _entries[ChainOf(e.Hash)].ChainHead;
            e.ChainNext = head;
            head = (ushort)slot;
        }
    }

    /// <summary>
    /// Moves the sessions, most recently used first, into slots 0 to Count - 1 of a new array of
    /// <paramref name="length"/> slots and rebuilds the chains and the LRU list. Every slot of the new array gets a
    /// generation above any the old array used, so a handle issued before can never match a session after.
    /// </summary>
    private void Compact(int length)
    {
        var old = _entries;
        var generation = _generationFloor;
        foreach (ref readonly var e in old.AsSpan())
        {
            generation = Math.Max(generation, e.Generation);
        }

        _generationFloor = ++generation;
        var entries = new Entry[length];
        Dictionary<int, ulong[]>? overflow = null;
        var count = 0;
        for (var slot = _head; slot != None; slot = old[slot].Next)
        {
            entries[count] = old[slot];
            entries[count].Prev = (ushort)(count == 0 ? None : count - 1);
            entries[count].Next = (ushort)(count + 1);
            if (old[slot].RingCount > InlineTags)
            {
                (overflow ??= [])[count] = _overflow![slot];
            }

            count++;
        }

        _overflow = overflow;

        for (var slot = 0; slot < length; slot++)
        {
            entries[slot].Generation = generation;
        }

        if (count > 0)
        {
            entries[count - 1].Next = (ushort)None;
        }

        old.AsSpan().Clear(); // the old array goes to the collector without key material
        _entries = entries;
        _slots = entries.Length;
        _head = count > 0 ? 0 : None;
        _tail = count > 0 ? count - 1 : None;
        _free = None;
        _used = count;
        Rehash();
    }

    /// <summary>Removes the session in <paramref name="slot"/>, zeroes its key and frees the slot.</summary>
    private void Evict(int slot)
    {
        ref var e = ref _entries[slot];
        Unlink(slot);
        ref var head = ref _entries[ChainOf(e.Hash)].ChainHead;
        if (head == slot)
        {
            head = e.ChainNext;
        }
        else
        {
            var previous = head;
            while (_entries[previous].ChainNext != slot)
            {
                previous = _entries[previous].ChainNext;
            }

            _entries[previous].ChainNext = e.ChainNext;
        }

        if (e.RingCount > InlineTags)
        {
            _overflow!.Remove(slot);
        }

        Vacate(ref e);
        e.ChainNext = (ushort)_free;
        _free = slot;
        Count--;
    }

    /// <summary>
    /// What every session leaving its slot goes through (eviction, expiry, <see cref="Clear"/>): the key is wiped, the
    /// slot marked free, its generation bumped so handles on the session go stale, and its directory pair released.
    /// </summary>
    private void Vacate(ref Entry e)
    {
        e.Key = default;
        e.InUse = false;
        e.Generation++;
        _directory.Release(e.Peer);
    }

    private void Touch(int slot)
    {
        _entries[slot].LastUsed = Clock;
        _noUseBefore = Protocol.Instant.Min(_noUseBefore, Clock);
        if (slot != _head)
        {
            Unlink(slot);
            LinkFirst(slot);
        }
    }

    private void Unlink(int slot)
    {
        ref var e = ref _entries[slot];
        if (e.Prev == None)
        {
            _head = e.Next;
        }
        else
        {
            _entries[e.Prev].Next = e.Next;
        }

        if (e.Next == None)
        {
            _tail = e.Prev;
        }
        else
        {
            _entries[e.Next].Prev = e.Prev;
        }
    }

    private void LinkFirst(int slot)
    {
        ref var e = ref _entries[slot];
        e.Prev = (ushort)None;
        e.Next = (ushort)_head;
        if (_head == None)
        {
            _tail = slot;
        }
        else
        {
            _entries[_head].Prev = (ushort)slot;
        }

        _head = slot;
    }

    /// <summary>One session (or a free slot, with <see cref="InUse"/> false and a zero key).</summary>
    [StructLayout(LayoutKind.Auto)] // lets the runtime pack the 16-bit links with the small fields: 96 bytes
    private struct Entry
    {
        /// <summary>
        /// Handle in the directory on the peer's id and an address: the one its token was given for once it has one,
        /// before that the one the session was created for. The session holds one reference on it.
        /// </summary>
        public int Peer;

        /// <summary>
        /// The low 16 bits of the peer id's <see cref="NodeId.GetHashCode"/> (enough for the at most 2^16 chains): picks
        /// the chain, and a scan reads the directory only on a match.
        /// </summary>
        public ushort Hash;

        /// <summary>The session key; zero while the slot is free.</summary>
        public SessionKey Key;

        /// <summary>Ring positions 0 to <see cref="InlineTags"/> - 1.</summary>
        public InlineTagArray Tags;

        public ulong TokenLow;
        public ulong TokenHigh;

        /// <summary>Neighbours in the LRU list (towards the most and the least recently used).</summary>
        public ushort Prev;
        public ushort Next;

        /// <summary>Next slot in the hash chain, or in the free list while the slot is free.</summary>
        public ushort ChainNext;

        /// <summary>First slot of chain number (this slot's index), or <see cref="None"/>: not a property of this slot's session.</summary>
        public ushort ChainHead;

        /// <summary>Bumped whenever the slot is freed, so handles on the old session become stale.</summary>
        public int Generation;

        /// <summary>The cache's <see cref="Clock"/> when the session was last found or added.</summary>
        public Protocol.Instant LastUsed;

        /// <summary>Ring position the next tag is written to, and the number of tags in the ring (at most the window).</summary>
        public ushort RingNext;
        public ushort RingCount;

        public bool HasToken;

        /// <summary>True while the slot holds a session.</summary>
        public bool InUse;
    }

    [InlineArray(InlineTags)]
    private struct InlineTagArray
    {
        private ulong _tag;
    }
}
