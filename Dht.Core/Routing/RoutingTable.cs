using Dht.Protocol;
using Dht.Rpc;

namespace Dht.Routing;

/// <summary>
/// The Kademlia routing table of one node: buckets indexed by the common-prefix length of a contact's id with the
/// local id (bucket i holds ids sharing exactly i leading bits with the local id).
/// </summary>
/// <remarks>
/// <para>Sans-IO and deterministic: time comes in as <see cref="Instant"/>, randomness from the caller's
/// <see cref="Xoshiro256"/>, and every enumeration follows bucket index then bucket order.</para>
/// <para>Memory: buckets are created on first use and the bucket array only grows to the highest bucket used
/// (about log2(network size) entries), so an idle table costs a few dozen bytes. Contacts are stored inline as
/// <see cref="ContactEntry"/> values (no object per contact); ids and addresses live once in the
/// <see cref="PeerDirectory"/>, which several tables may share (the simulator's do). Queries hand out
/// <see cref="Contact"/> views copied from that storage.</para>
/// <para>A struct, held inline in the engine object (<c>DhtEngine</c>) and used through references (<c>ref</c>
/// locals and returns): at 10^5 simulated engines each object a datagram reads is a cache miss, and as an object of its
/// own the table was one more on every datagram (its bucket array is reached from the engine's own fields now). A copy
/// shares the bucket arrays but not the counts, so it must never be taken: pass it by <c>ref</c>.</para>
/// <para>Only <see cref="OnVerifiedReply"/> adds contacts: unsolicited traffic must go through
/// <see cref="ShouldVerify"/> and a PING first. Not thread-safe, and neither is the directory: tables sharing one
/// must all be used from one thread at a time.</para>
/// </remarks>
internal partial struct RoutingTable
{
    /// <summary>The number of possible buckets (one per bit of the id).</summary>
    public const int MaxBuckets = NodeId.Size * 8;

    /// <summary>A peer handle that matches no entry (for "excluding nobody").</summary>
    private const int NoPeer = -1;

    /// <summary>
    /// Once now is this many milliseconds (about 24.9 days) past the epoch, the epoch moves forward so that now is
    /// <see cref="EpochKeepMs"/> past it, keeping every last-seen stamp below <see cref="uint.MaxValue"/>.
    /// </summary>
    internal const long EpochMoveAfterMs = 1L << 31;

    /// <summary>How far (about 12.4 days) the epoch stays behind now after it moves; older stamps read as the epoch.</summary>
    internal const long EpochKeepMs = 1L << 30;

    /// <summary>A bucket that does not exist, for the checks that take one (read only).</summary>
    private static readonly KBucket NoBucket = default;

    private readonly RoutingOptions _options;
    private readonly PeerDirectory _directory;
    private KBucket[] _buckets = [];

    /// <summary>The length of <see cref="_buckets"/>, kept beside it so that a hint reads no array header.</summary>
    private int _bucketSlots;

    /// <summary>No bucket needs a refresh before this instant (a lower bound; see CollectBucketsNeedingRefresh).</summary>
    private Instant _noRefreshBefore = Instant.MaxValue;

    /// <summary>SplitMix64 state for the buckets' refresh delays, seeded from the local id (see <see cref="NextRefreshDelay"/>).</summary>
    private ulong _refreshDelayState;

    /// <summary>
    /// The origin of the entries' last-seen stamps (<see cref="ContactEntry.LastSeen"/>, whole milliseconds since it):
    /// the first time the table stamped an entry, moved forward by <see cref="AdvanceEpoch"/> when it falls too far behind.
    /// </summary>
    private Instant _epoch;

    private bool _hasEpoch;

    /// <param name="localId">This node's id (not zero).</param>
    /// <param name="options">Validated here; may be shared by many tables.</param>
    /// <param name="directory">Where ids and addresses are interned; null creates one for this table alone.</param>
    public RoutingTable(NodeId localId, RoutingOptions options, PeerDirectory? directory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (localId.IsZero)
        {
            throw new ArgumentException("The local id must not be zero.", nameof(localId));
        }

        LocalId = localId;
        _options = options;
        _directory = directory ?? new PeerDirectory();
        Span<byte> id = stackalloc byte[NodeId.Size];
        localId.WriteTo(id);
        _refreshDelayState = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(id[^8..]);
    }

    public NodeId LocalId { get; }

    public RoutingOptions Options => _options;

    /// <summary>The directory holding the ids and addresses of this table's entries.</summary>
    public PeerDirectory Directory => _directory;

    /// <summary>Contacts in the buckets (replacement caches not counted).</summary>
    public int Count { get; private set; }

    /// <summary>The bucket index of <paramref name="id"/>: its common-prefix length with the local id (256 for the local id).</summary>
    public int BucketIndexOf(NodeId id) => LocalId.CommonPrefixLength(id);

    /// <summary>
    /// The storage slot of <paramref name="id"/>: its bucket index, then (with <see cref="RoutingOptions.BucketSplitBits"/>
    /// b &gt; 0) the b bits of the id after the first bit that differs from the local id, as the sub-bucket number.
    /// </summary>
    public int SlotOf(NodeId id) => SlotOf(BucketIndexOf(id), id);

    /// <summary>
    /// Hints the bucket slot that holds <paramref name="id"/>'s range (see <see cref="MemoryHint"/>), bounded by
    /// <see cref="_bucketSlots"/> so that the array's header is not read.
    /// </summary>
    public void HintBucket(NodeId id)
    {
        var index = SlotOf(id);
        if ((uint)index < (uint)_bucketSlots)
        {
            MemoryHint.ElementAndHeader(_buckets, index);
        }
    }

    /// <summary>
    /// The second step after <see cref="HintBucket"/>, once the bucket slot it hinted has arrived: hints that bucket's
    /// contact array, which admitting or refreshing <paramref name="id"/> scans. Reads the bucket slot.
    /// </summary>
    public void HintBucketContacts(NodeId id)
    {
        var index = SlotOf(id);
        if ((uint)index < (uint)_bucketSlots)
        {
            _buckets[index].HintContacts();
        }
    }

    private int SlotOf(int level, NodeId id)
    {
        var bits = _options.BucketSplitBits;
        var sub = 0;
        for (var j = 1; j <= bits; j++)
        {
            sub = (sub << 1) | (level + j < MaxBuckets ? id.GetBit(level + j) : 0);
        }

        return (level << bits) | sub;
    }

    /// <summary>
    /// Records a valid authenticated reply from <paramref name="id"/> at <paramref name="address"/> to one of our
    /// requests: the only way a node enters the buckets. See <see cref="AdmitResult"/> for what the engine must do next.
    /// </summary>
    /// <param name="id">The node that replied.</param>
    /// <param name="address">Where the reply came from.</param>
    /// <param name="now">The engine's current time.</param>
    /// <param name="rtt">The request's round-trip time, when known.</param>
    /// <param name="directoryHint">
    /// A directory handle the caller holds on the pair (<paramref name="id"/>, <paramref name="address"/>): a new contact
    /// then takes its reference without a lookup in the directory's index (the simulator's warm start fills 10^7-10^8
    /// table slots). Any other value costs that lookup, nothing else.
    /// </param>
    public AdmitResult OnVerifiedReply(NodeId id, PeerAddress address, Instant now, TimeSpan? rtt, int directoryHint = NoPeer)
    {
        var invalid = id.IsZero ? RejectReason.ZeroId
            : id == LocalId ? RejectReason.LocalId
            : address.IsUnspecified ? RejectReason.InvalidAddress
            : RejectReason.None;
        if (invalid != RejectReason.None)
        {
            return AdmitResult.Rejected(invalid);
        }

        AdvanceEpoch(now);
        var index = SlotOf(id);
        var position = HasBucket(index) ? _buckets[index].IndexOf(id, _directory) : -1;
        return position >= 0
            ? UpdateExisting(ref _buckets[index], position, address, now, rtt)
            : AdmitNew(index, id, address, now, rtt, directoryHint);
    }

    /// <summary>
    /// Records that a request to <paramref name="id"/> failed (timed out). Once the contact reaches
    /// <see cref="RoutingOptions.MaxFailuresBeforeEviction"/> failures it is evicted for the most recent replacement
    /// that fits the subnet limits; without one it stays, marked stale. A failing replacement is dropped from the cache.
    /// </summary>
    /// <returns>True when the contact was evicted.</returns>
    public bool OnRequestFailed(NodeId id, Instant now)
    {
        _ = now; // Failure times are not tracked yet; kept so the engine's calls need not change when they are.
        var index = id.IsZero || id == LocalId ? -1 : SlotOf(id);
        if (!HasBucket(index))
        {
            return false;
        }

        ref var bucket = ref _buckets[index];
        var position = bucket.IndexOf(id, _directory);
        if (position < 0)
        {
            var replacement = bucket.IndexOfReplacement(id, _directory);
            if (replacement >= 0)
            {
                _directory.Release(bucket.RemoveReplacementAt(replacement).Peer);
            }

            return false;
        }

        ref var entry = ref bucket[position];
        if (entry.FailedRequests < ushort.MaxValue)
        {
            entry.FailedRequests++;
        }

        if (entry.FailedRequests < _options.MaxFailuresBeforeEviction)
        {
            return false;
        }

        var promoted = PickReplacement(ref bucket, entry.Peer);
        if (promoted < 0)
        {
            return false;
        }

        _directory.Release(bucket.RemoveAt(position).Peer);
        PromoteReplacement(ref bucket, promoted);
        return true;
    }

    /// <summary>
    /// For unsolicited traffic: true when <paramref name="id"/> is not in the buckets and its bucket has room or a
    /// stale contact, so the engine may PING it and feed the reply to <see cref="OnVerifiedReply"/>.
    /// </summary>
    public bool ShouldVerify(NodeId id)
    {
        if (id.IsZero || id == LocalId)
        {
            return false;
        }

        var index = SlotOf(id);
        if (!HasBucket(index))
        {
            return true;
        }

        ref readonly var bucket = ref _buckets[index];
        return bucket.IndexOf(id, _directory) < 0 && (bucket.Count < _options.K || bucket.HasStale());
    }

    /// <summary>Finds a contact in the buckets (not in the replacement caches) and copies it out.</summary>
    public bool TryGet(NodeId id, out Contact contact)
    {
        var found = TryLocate(id, out var index, out var position);
        contact = found ? View(_buckets[index][position]) : default;
        return found;
    }

    /// <summary>
    /// The round-trip estimator of <paramref name="id"/> when it is in a bucket: <see cref="TryGet"/> without building
    /// the whole <see cref="Contact"/> (every request sent reads it for its timeouts).
    /// </summary>
    public bool TryGetRtt(NodeId id, out RttEstimator rtt)
    {
        var found = TryLocate(id, out var index, out var position);
        rtt = found ? _buckets[index][position].Rtt : default;
        return found;
    }

    /// <summary>
    /// The address of <paramref name="id"/> when it is in a bucket: <see cref="TryGet"/> without building the whole
    /// <see cref="Contact"/> (a request without a valid token reads it to validate its sender).
    /// </summary>
    public bool TryGetAddress(NodeId id, out PeerAddress address)
    {
        var found = TryLocate(id, out var index, out var position);
        address = found ? _directory.AddressOf(_buckets[index][position].Peer) : default;
        return found;
    }

    /// <summary>The bucket slot and position of <paramref name="id"/> when it is in a bucket.</summary>
    private bool TryLocate(NodeId id, out int index, out int position)
    {
        index = id == LocalId ? -1 : SlotOf(id);
        position = HasBucket(index) ? _buckets[index].IndexOf(id, _directory) : -1;
        return position >= 0;
    }

    /// <summary>
    /// Removes <paramref name="id"/> from its bucket (promoting the most recent fitting replacement) or from its
    /// replacement cache.
    /// </summary>
    /// <returns>True when it was found in either.</returns>
    public bool Remove(NodeId id)
    {
        var index = id == LocalId ? -1 : SlotOf(id);
        if (!HasBucket(index))
        {
            return false;
        }

        ref var bucket = ref _buckets[index];
        var position = bucket.IndexOf(id, _directory);
        if (position >= 0)
        {
            RemoveAndPromote(ref bucket, position);
            return true;
        }

        position = bucket.IndexOfReplacement(id, _directory);
        if (position >= 0)
        {
            _directory.Release(bucket.RemoveReplacementAt(position).Peer);
        }

        return position >= 0;
    }

    /// <summary>
    /// Removes every contact and replacement, releasing their directory handles (the engine does this when disposed,
    /// so a shared directory forgets the peers only this table knew).
    /// </summary>
    public void Clear()
    {
        foreach (ref var bucket in _buckets.AsSpan())
        {
            if (bucket.Exists)
            {
                bucket.Clear(_directory);
            }
        }

        _buckets = [];
        _bucketSlots = 0;
        Count = 0;
    }

    private AdmitResult UpdateExisting(ref KBucket bucket, int position, PeerAddress address, Instant now, TimeSpan? rtt)
    {
        ref var entry = ref bucket[position];
        if (SubnetKey.Of(_directory.AddressOf(entry.Peer)) != SubnetKey.Of(address))
        {
            var reason = CheckSubnet(address, in bucket, entry.Peer, checkTable: true);
            if (reason != RejectReason.None)
            {
                // The node moved into a full subnet: its old address is useless, so it leaves the table.
                RemoveAndPromote(ref bucket, position);
                return AdmitResult.Rejected(reason);
            }
        }

        Refresh(ref entry, address, now, rtt);
        bucket.MoveToTail(position);
        return AdmitResult.Updated;
    }

    private AdmitResult AdmitNew(int index, NodeId id, PeerAddress address, Instant now, TimeSpan? rtt, int directoryHint)
    {
        var exists = HasBucket(index);
        var full = exists && _buckets[index].Count >= _options.K;
        var victim = full ? _buckets[index].IndexOfEvictable(_options.MaxFailuresBeforeEviction) : -1;

        // A node bound for the replacement cache is checked against its bucket only (cheap: this is the common path
        // for replies from far-away nodes); the table-wide limit is checked when a replacement is promoted.
        var toCache = full && victim < 0;
        var reason = CheckSubnet(address, exists ? index : -1, victim >= 0 ? _buckets[index][victim].Peer : NoPeer, checkTable: !toCache);
        if (reason != RejectReason.None)
        {
            return AdmitResult.Rejected(reason);
        }

        // Taken after CreateBucket, which may replace the bucket array.
        ref var bucket = ref CreateBucket(index, now);
        if (!toCache)
        {
            var entry = TakeOrCreate(ref bucket, id, address, now, rtt, directoryHint);
            Contact? evicted = null;
            if (victim >= 0)
            {
                evicted = View(bucket[victim]);
                _directory.Release(bucket.RemoveAt(victim).Peer);
                Count--;
            }

            bucket.Append(entry, _options.K);
            Count++;
            return new AdmitResult(AdmitOutcome.Added, RejectReason.None, null, evicted);
        }

        ref readonly var oldest = ref bucket[0];
        Contact? ping = now - LastSeenOf(oldest) >= _options.PingOldestAfter ? View(oldest) : null;
        if (_options.ReplacementCacheSize == 0)
        {
            return AdmitResult.Rejected(RejectReason.BucketFull, ping);
        }

        var cached = TakeOrCreate(ref bucket, id, address, now, rtt, directoryHint);
        bucket.AddReplacement(cached, _options.ReplacementCacheSize, _options.MaxContactsPerSubnetPerBucket, _directory);
        return new AdmitResult(AdmitOutcome.AddedToReplacementCache, RejectReason.None, ping, null);
    }

    /// <summary>
    /// The node's replacement-cache entry (taken out of the cache) or a new entry holding a fresh directory reference,
    /// refreshed with this reply.
    /// </summary>
    private ContactEntry TakeOrCreate(ref KBucket bucket, NodeId id, PeerAddress address, Instant now, TimeSpan? rtt, int directoryHint)
    {
        var cached = bucket.IndexOfReplacement(id, _directory);
        var entry = cached >= 0 ? bucket.RemoveReplacementAt(cached) : new ContactEntry(_directory.AcquireHinted(id, address, directoryHint), id, Stamp(now));
        Refresh(ref entry, address, now, rtt);
        return entry;
    }

    /// <summary>Applies a verified reply: address (re-interned when it changed), last seen, failures, RTT.</summary>
    private void Refresh(ref ContactEntry entry, PeerAddress address, Instant now, TimeSpan? rtt)
    {
        if (_directory.AddressOf(entry.Peer) != address)
        {
            var old = entry.Peer;
            entry.Peer = _directory.Acquire(_directory.IdOf(old), address);
            _directory.Release(old);
        }

        entry.LastSeen = Math.Max(entry.LastSeen, Stamp(now));
        entry.FailedRequests = 0;
        if (rtt is { } sample)
        {
            entry.Rtt.AddSample(sample);
        }
    }

    private void RemoveAndPromote(ref KBucket bucket, int position)
    {
        var promoted = PickReplacement(ref bucket, bucket[position].Peer);
        _directory.Release(bucket.RemoveAt(position).Peer);
        Count--;
        if (promoted >= 0)
        {
            PromoteReplacement(ref bucket, promoted);
            Count++;
        }
    }

    /// <summary>The most recent replacement that fits the subnet limits once <paramref name="leavingPeer"/> is gone, or -1.</summary>
    private int PickReplacement(ref KBucket bucket, int leavingPeer)
    {
        for (var i = bucket.ReplacementCount - 1; i >= 0; i--)
        {
            var address = _directory.AddressOf(bucket.Replacements[i].Peer);
            if (CheckSubnet(address, in bucket, leavingPeer, checkTable: true) == RejectReason.None)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Moves a replacement (with its directory reference) into the bucket, in last-seen order.</summary>
    private void PromoteReplacement(ref KBucket bucket, int replacementIndex) =>
        bucket.InsertByLastSeen(bucket.RemoveReplacementAt(replacementIndex), _options.K);

    /// <summary>
    /// Checks the subnet limits for a contact at <paramref name="address"/>, not counting the contact holding
    /// <paramref name="excludingPeer"/> (which must still be in the table; <see cref="NoPeer"/> for none). The
    /// table-wide count is only taken when <paramref name="checkTable"/>.
    /// </summary>
    private RejectReason CheckSubnet(PeerAddress address, int index, int excludingPeer, bool checkTable) =>
        index >= 0
            ? CheckSubnet(address, in _buckets[index], excludingPeer, checkTable)
            : CheckSubnet(address, in NoBucket, excludingPeer, checkTable);

    /// <summary>
    /// Checks the subnet limits for a contact at <paramref name="address"/> in <paramref name="bucket"/> (which may be
    /// <see cref="NoBucket"/>), not counting the contact holding <paramref name="excludingPeer"/>; see the overload by index.
    /// </summary>
    private RejectReason CheckSubnet(PeerAddress address, in KBucket bucket, int excludingPeer, bool checkTable)
    {
        if (SubnetKey.IsLoopback(address))
        {
            return RejectReason.None;
        }

        var key = SubnetKey.Of(address);
        var perBucket = _options.MaxContactsPerSubnetPerBucket;
        if (perBucket > 0 && bucket.Exists && CountInSubnet(in bucket, key, excludingPeer) >= perBucket)
        {
            return RejectReason.SubnetLimitInBucket;
        }

        var perTable = _options.MaxContactsPerSubnetInTable;
        if (checkTable && perTable > 0 && Count - (excludingPeer == NoPeer ? 0 : 1) >= perTable)
        {
            var total = 0;
            foreach (ref readonly var other in _buckets.AsSpan())
            {
                total += other.Exists ? CountInSubnet(in other, key, excludingPeer) : 0;
            }

            if (total >= perTable)
            {
                return RejectReason.SubnetLimitInTable;
            }
        }

        return RejectReason.None;
    }

    /// <summary>Contacts of <paramref name="bucket"/> in subnet <paramref name="key"/>, except the one holding <paramref name="excludingPeer"/>.</summary>
    /// <remarks>A handle names one (id, address) pair and ids are unique in the buckets, so it matches one contact at most.</remarks>
    private int CountInSubnet(in KBucket bucket, SubnetKey key, int excludingPeer)
    {
        var n = 0;
        foreach (ref readonly var entry in bucket.Contacts)
        {
            n += entry.Peer != excludingPeer && SubnetKey.Of(_directory.AddressOf(entry.Peer)) == key ? 1 : 0;
        }

        return n;
    }

    private Contact View(in ContactEntry entry) => new(entry, _directory, LastSeenOf(entry));

    /// <summary>An entry's last-seen time: its stamp after the epoch (to the millisecond, rounded down).</summary>
    internal Instant LastSeenOf(in ContactEntry entry) => _epoch + TimeSpan.FromMilliseconds(entry.LastSeen);

    /// <summary>
    /// Sets the epoch on the first call, and moves it when <paramref name="now"/> has run <see cref="EpochMoveAfterMs"/>
    /// past it: forward to <see cref="EpochKeepMs"/> before now, with every stamp moved back by as much. Stamps older
    /// than the new epoch become the epoch, still about 12 days old, which every rule that reads them
    /// (<see cref="RoutingOptions.PingOldestAfter"/>, the last-seen order of promoted replacements) treats as long
    /// unseen. Called before an update touches any entry, so no entry is outside the buckets while stamps move.
    /// </summary>
    private void AdvanceEpoch(Instant now)
    {
        if (!_hasEpoch)
        {
            _epoch = now;
            _hasEpoch = true;
        }

        var ms = (now - _epoch).Ticks / TimeSpan.TicksPerMillisecond;
        if (ms >= EpochMoveAfterMs)
        {
            MoveEpoch(ms - EpochKeepMs);
        }
    }

    /// <summary>
    /// <paramref name="now"/> as a last-seen stamp, after <see cref="AdvanceEpoch"/> with the same time: whole
    /// milliseconds since the epoch (a time before the epoch stamps as the epoch).
    /// </summary>
    private uint Stamp(Instant now) => (uint)Math.Clamp((now - _epoch).Ticks / TimeSpan.TicksPerMillisecond, 0, uint.MaxValue);

    private void MoveEpoch(long shiftMs)
    {
        _epoch += TimeSpan.FromMilliseconds(shiftMs);
        foreach (ref readonly var bucket in _buckets.AsSpan())
        {
            if (bucket.Exists)
            {
                bucket.ShiftLastSeen(shiftMs);
            }
        }
    }

    /// <summary>True when slot <paramref name="index"/> holds a bucket (false for -1, "no slot").</summary>
    private bool HasBucket(int index) => (uint)index < (uint)_buckets.Length && _buckets[index].Exists;

    /// <summary>
    /// For a bulk fill that creates buckets in ascending slot order (the simulator's warm start): gives the bucket array
    /// <paramref name="slots"/> slots at once, where creating each bucket would grow it by one. Changes no contact and
    /// no later behaviour.
    /// </summary>
    internal void ReserveSlots(int slots)
    {
        if (slots > _buckets.Length)
        {
            Array.Resize(ref _buckets, slots);
            _bucketSlots = slots;
        }
    }

    /// <summary>
    /// For a bulk fill: creates the bucket at <paramref name="slot"/> as the first reply for it would (so call it just
    /// before that reply, with the same <paramref name="now"/>) and gives it room for <paramref name="contacts"/> contacts
    /// (at most K) at once.
    /// </summary>
    internal void ReserveBucket(int slot, int contacts, Instant now) =>
        CreateBucket(slot, now).Reserve(Math.Min(contacts, _options.K), _options.K);

    /// <summary>
    /// The bucket at <paramref name="index"/>, created (and the array grown) when missing. The reference is into the
    /// bucket array: take it again after anything that may create a bucket.
    /// </summary>
    private ref KBucket CreateBucket(int index, Instant now)
    {
        if (index >= _buckets.Length)
        {
            Array.Resize(ref _buckets, index + 1);
            _bucketSlots = index + 1;
        }

        ref var bucket = ref _buckets[index];
        if (!bucket.Exists)
        {
            bucket = new KBucket(now, NextRefreshDelay());
            _noRefreshBefore = Instant.Min(_noRefreshBefore, now + bucket.RefreshDelay);
        }

        return ref bucket;
    }

    /// <summary>
    /// A bucket's wait before its next refresh: <see cref="RoutingOptions.BucketRefreshInterval"/> plus a random share
    /// of half of it. Without the random part, refreshes synchronise: traffic freshens many buckets of many nodes at
    /// once (<see cref="MarkSenderActive"/>), so they fall due together one interval later, and that burst of refresh
    /// lookups freshens even more buckets at once (Floyd and Jacobson's synchronisation of periodic routing messages;
    /// a 35-minute run at 20k nodes carried 23 times the usual traffic in the minute after 31 min). The numbers come
    /// from a SplitMix64 stream seeded by the local id, not from the engine's generator, so they change no other
    /// random draw, and no bucket falls due before one full interval.
    /// </summary>
    private TimeSpan NextRefreshDelay()
    {
        var z = _refreshDelayState += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        var interval = _options.BucketRefreshInterval;
        var spread = (ulong)Math.Max(1, interval.Ticks / 2);
        return interval + TimeSpan.FromTicks((long)(z % spread));
    }
}
