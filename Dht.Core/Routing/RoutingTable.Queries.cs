using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Dht.Protocol;

namespace Dht.Routing;

/// <content>Lookups, bucket refresh and enumeration.</content>
internal partial struct RoutingTable
{
    /// <summary>
    /// Clears <paramref name="result"/> and fills it with up to <paramref name="count"/> contacts closest to
    /// <paramref name="target"/> by XOR distance, closest first. With <paramref name="excludeStale"/>, contacts whose
    /// last request failed are left out (use it when answering FIND_NODE); otherwise they are included in distance order.
    /// <paramref name="exclude"/>, when given, is left out too (the requester, when answering FIND_NODE: asking for k
    /// and leaving it out, rather than asking for k + 1 and dropping it, saves scanning a second bucket for one contact
    /// that is then mostly thrown away).
    /// </summary>
    /// <remarks>
    /// Each bucket covers one contiguous range of distances to the target, so the buckets are visited in distance
    /// order and only the visited buckets (at most K contacts each) are sorted.
    /// </remarks>
    /// <returns>The number of contacts written.</returns>
    public int FindClosest(NodeId target, int count, List<Contact> result, bool excludeStale = false, NodeId? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.Clear();
        if (count <= 0)
        {
            return 0;
        }

        // At most every contact can be picked: a count beyond that needs no bigger buffer.
        var room = Math.Min(count, Count);
        var picks = room <= MaxStackPicks ? stackalloc int[room] : new int[room];
        var n = SelectClosest(new ClosestQuery(target, room, excludeStale, exclude ?? default, exclude.HasValue), picks);
        foreach (var pick in picks[..n])
        {
            result.Add(View(_buckets[pick >> 8].Contacts[pick & 0xFF]));
        }

        return n;
    }

    /// <summary>
    /// Like <see cref="FindClosest"/>, for an answer to FIND_NODE: writes the directory handles of up to
    /// <paramref name="handles"/>.Length contacts closest to <paramref name="target"/>, closest first, leaving out stale
    /// contacts and <paramref name="exclude"/> (the requester). Read the ids and addresses with
    /// <see cref="PeerIdOf"/> and <see cref="PeerAddressOf"/> before the table changes. No contact state is copied.
    /// </summary>
    /// <returns>The number of handles written.</returns>
    public int FindClosestPeers(NodeId target, NodeId exclude, Span<int> handles)
    {
        var room = Math.Min(handles.Length, Count);
        if (room <= 0)
        {
            return 0;
        }

        var picks = room <= MaxStackPicks ? stackalloc int[room] : new int[room];
        var n = SelectClosest(new ClosestQuery(target, room, ExcludeStale: true, exclude, Excluding: true), picks);
        for (var i = 0; i < n; i++)
        {
            handles[i] = _buckets[picks[i] >> 8].Contacts[picks[i] & 0xFF].Peer;
        }

        return n;
    }

    /// <summary>The node id behind a directory handle a query of this table returned (see <see cref="FindClosestPeers"/>).</summary>
    public readonly NodeId PeerIdOf(int handle) => _directory.IdOf(handle);

    /// <summary>The address behind a directory handle a query of this table returned (see <see cref="FindClosestPeers"/>).</summary>
    public readonly PeerAddress PeerAddressOf(int handle) => _directory.AddressOf(handle);

    /// <summary>Picks beyond this many are collected in an array instead of on the stack.</summary>
    private const int MaxStackPicks = 256;

    /// <summary>
    /// Writes the contacts <paramref name="query"/> asks for to <paramref name="picks"/> (at least
    /// <see cref="ClosestQuery.Count"/> long), closest first, each as its bucket slot times 256 plus its position in
    /// the bucket (a bucket holds at most <see cref="RoutingOptions.MaxK"/> contacts).
    /// </summary>
    /// <remarks>
    /// Each bucket covers one contiguous range of distances to the target, so the buckets are visited in distance
    /// order and only the visited buckets (at most K contacts each) are sorted.
    /// </remarks>
    /// <returns>The number of picks written.</returns>
    private int SelectClosest(in ClosestQuery query, Span<int> picks)
    {
        var levels = (_buckets.Length + (1 << _options.BucketSplitBits) - 1) >> _options.BucketSplitBits;
        var order = new VisitOrder(BucketIndexOf(query.Target), LocalId.Xor(query.Target), levels);
        if (_options.BucketSplitBits == 0 && MemoryHint.Enabled)
        {
            HintVisits(order); // a copy: the visit below starts from the first level again
        }

        var have = 0;
        while (have < query.Count && order.TryNext(out var level))
        {
            have = AppendLevel(level, query, picks, have);
        }

        return have;
    }

    /// <summary>
    /// Hints the first three buckets <see cref="FindClosest"/> visits, in its order (for one-bit levels only), then their
    /// contact arrays: each visit otherwise waits for its bucket slot, then for its array, one bucket after another.
    /// </summary>
    private void HintVisits(VisitOrder order)
    {
        Span<int> first = stackalloc int[3];
        var n = 0;
        while (n < first.Length && order.TryNext(out var level))
        {
            first[n++] = level;
        }

        for (var k = 0; k < n; k++)
        {
            MemoryHint.Element(_buckets, first[k]);
        }

        for (var k = 0; k < n; k++)
        {
            _buckets[first[k]].HintContacts();
        }
    }

    /// <summary>
    /// The levels <see cref="FindClosest"/> visits, nearest range of distances to the target first. With c the target's
    /// common-prefix length with the local id and d = local XOR target: level c is closest. A level i &gt; c agrees with
    /// the target up to bit c, then its bits c+1..i-1 follow d and bit i is the inverse of d's, so it precedes all levels
    /// j &gt; i when d[i] = 1 and follows them when d[i] = 0. Levels i &lt; c come last, nearest first (c-1 down to 0).
    /// </summary>
    private struct VisitOrder(int c, NodeId d, int levels)
    {
        // 0: level c; 1: levels above c with d[i] = 1, ascending; 2: levels above c with d[i] = 0, descending;
        // 3: levels below c, descending; 4: done.
        private int _phase;
        private int _next = -1;

        public bool TryNext(out int level)
        {
            while (true)
            {
                switch (_phase)
                {
                    case 0:
                        _phase = 1;
                        _next = c + 1;
                        if (c < levels)
                        {
                            level = c;
                            return true;
                        }

                        break;
                    case 1:
                        for (; _next < levels; _next++)
                        {
                            if (d.GetBit(_next) == 1)
                            {
                                level = _next++;
                                return true;
                            }
                        }

                        _phase = 2;
                        _next = levels - 1;
                        break;
                    case 2:
                        for (; _next > c; _next--)
                        {
                            if (d.GetBit(_next) == 0)
                            {
                                level = _next--;
                                return true;
                            }
                        }

                        _phase = 3;
                        _next = Math.Min(c, levels) - 1;
                        break;
                    case 3:
                        if (_next >= 0)
                        {
                            level = _next--;
                            return true;
                        }

                        _phase = 4;
                        break;
                    default:
                        level = -1;
                        return false;
                }
            }
        }
    }

    /// <summary>Records a lookup for <paramref name="target"/>: its bucket needs no refresh for a while.</summary>
    public void MarkBucketUsed(NodeId target, Instant now)
    {
        var index = target == LocalId ? -1 : SlotOf(target);
        if (HasBucket(index))
        {
            ref var bucket = ref _buckets[index];
            bucket.LastUsed = Instant.Max(bucket.LastUsed, now);
        }
    }

    /// <summary>
    /// Records authenticated traffic from <paramref name="sender"/>: a request it sent us or its reply to one of ours.
    /// The bucket whose range holds the sender counts as used, as after a lookup into it (BEP 5's rule, with Kademlia's
    /// "buckets are kept fresh by the traffic of requests travelling through nodes"): a node in that range has just
    /// proven itself, and an unknown one was offered to the bucket (pinged or cached) on the usual path. Only buckets
    /// with no such traffic for their refresh delay (<see cref="RoutingOptions.BucketRefreshInterval"/> plus a random
    /// share of half of it) need a refresh lookup.
    /// </summary>
    public void MarkSenderActive(NodeId sender, Instant now)
    {
        if (sender.IsZero || sender == LocalId)
        {
            return;
        }

        var index = SlotOf(sender);
        if (HasBucket(index))
        {
            ref var bucket = ref _buckets[index];
            bucket.LastUsed = Instant.Max(bucket.LastUsed, now);
        }
    }

    /// <summary>
    /// False when no bucket can be due for a refresh at <paramref name="now"/> (reads only the table's lower bound on its
    /// next refresh); true when <see cref="CollectBucketsNeedingRefresh"/> has to look.
    /// </summary>
    public readonly bool MayNeedRefresh(Instant now) => now >= _noRefreshBefore;

    /// <summary>The table's lower bound on its next bucket refresh: before it, <see cref="MayNeedRefresh"/> is false.</summary>
    public readonly Instant NoRefreshBefore => _noRefreshBefore;

    /// <summary>
    /// Clears <paramref name="targets"/> and adds one random id inside each non-empty bucket with no lookup into it and
    /// no traffic from its range (<see cref="MarkSenderActive"/>) for its refresh delay, in bucket order: at least
    /// <see cref="RoutingOptions.BucketRefreshInterval"/>, at most half as long again (drawn per bucket and refresh).
    /// When more than <paramref name="max"/> are due, the ones due longest are taken. Those buckets count as used at
    /// <paramref name="now"/>: the engine is expected to start a lookup for every target returned. At most
    /// <paramref name="max"/> buckets are taken; due buckets beyond it stay due.
    /// </summary>
    /// <returns>The number of targets.</returns>
    public int CollectBucketsNeedingRefresh(Instant now, ref Xoshiro256State rng, List<NodeId> targets, int max = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(targets);
        targets.Clear();
        if (!MayNeedRefresh(now))
        {
            // Nothing can be due yet: skip touching every bucket (this runs on every maintenance tick of every node).
            return 0;
        }

        var chosen = MostOverdue(now, max);
        var earliest = Instant.MaxValue;
        for (var i = 0; i < _buckets.Length; i++)
        {
            ref var bucket = ref _buckets[i];
            if (!bucket.Exists)
            {
                continue;
            }

            if ((chosen is null || chosen[i]) && IsDue(in bucket, now))
            {
                targets.Add(RandomIdInSlot(i, ref rng));
                bucket.LastUsed = now;
                bucket.RefreshDelay = NextRefreshDelay();
            }

            earliest = Instant.Min(earliest, bucket.LastUsed + bucket.RefreshDelay);
        }

        // A bucket's LastUsed only grows and new buckets start at their creation time, so until this instant no bucket
        // can be due (buckets left due by max keep it at or before now).
        _noRefreshBefore = earliest;
        return targets.Count;
    }

    private static bool IsDue(in KBucket bucket, Instant now) => bucket.Count > 0 && now - bucket.LastUsed >= bucket.RefreshDelay;

    /// <summary>
    /// Null when at most <paramref name="max"/> buckets are due (all of them are refreshed); otherwise a mask of the
    /// <paramref name="max"/> that have been due longest (ties: lower slot first), so that a bucket refreshed recently
    /// cannot go ahead of one that has waited longer. Allocates only then, which the maintenance budget makes rare.
    /// </summary>
    private bool[]? MostOverdue(Instant now, int max)
    {
        var due = 0;
        foreach (ref readonly var bucket in _buckets.AsSpan())
        {
            due += bucket.Exists && IsDue(in bucket, now) ? 1 : 0;
        }

        if (due <= max)
        {
            return null;
        }

        var order = new List<(long DueAt, int Slot)>(due);
        for (var i = 0; i < _buckets.Length; i++)
        {
            ref readonly var bucket = ref _buckets[i];
            if (bucket.Exists && IsDue(in bucket, now))
            {
                order.Add(((bucket.LastUsed + bucket.RefreshDelay).Ticks, i));
            }
        }

        order.Sort();
        var chosen = new bool[_buckets.Length];
        for (var k = 0; k < max; k++)
        {
            chosen[order[k].Slot] = true;
        }

        return chosen;
    }

    /// <summary>
    /// For a table filled from global knowledge at <paramref name="now"/> (the simulator's warm start): the table is as
    /// fresh as after a refresh of every bucket, but a running network does not refresh in step, so each bucket counts
    /// as last used at a uniformly random instant of the next refresh interval. Its first refresh then falls due
    /// somewhere between one and two and a half intervals from now (its refresh delay after that instant), instead of
    /// every bucket of every node at the same instant.
    /// </summary>
    internal void SpreadFirstRefresh(Instant now, ref Xoshiro256State rng)
    {
        var interval = _options.BucketRefreshInterval;
        var earliest = Instant.MaxValue;
        foreach (ref var bucket in _buckets.AsSpan())
        {
            if (!bucket.Exists)
            {
                continue;
            }

            bucket.LastUsed = now + TimeSpan.FromTicks((long)(rng.NextDouble() * interval.Ticks));
            earliest = Instant.Min(earliest, bucket.LastUsed + bucket.RefreshDelay);
        }

        _noRefreshBefore = earliest;
    }

    /// <summary>When the bucket holding <paramref name="id"/>'s range falls due for a refresh; null without that bucket.</summary>
    internal Instant? RefreshDueAt(NodeId id)
    {
        var index = id == LocalId ? -1 : SlotOf(id);
        return HasBucket(index) ? _buckets[index].LastUsed + _buckets[index].RefreshDelay : null;
    }

    /// <summary>Non-empty buckets due for a refresh at <paramref name="now"/>, by a full scan (tests check the lower bound with it).</summary>
    internal int CountDueBuckets(Instant now)
    {
        var due = 0;
        foreach (ref readonly var bucket in _buckets.AsSpan())
        {
            due += bucket.Exists && bucket.Count > 0 && now - bucket.LastUsed >= bucket.RefreshDelay ? 1 : 0;
        }

        return due;
    }

    /// <summary>A random id in bucket <paramref name="index"/>: the local id's first index bits, then the inverse of bit index, then random bits.</summary>
    public NodeId RandomIdInBucket(int index, ref Xoshiro256State rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxBuckets);
        Span<byte> prefix = stackalloc byte[NodeId.Size];
        Span<byte> random = stackalloc byte[NodeId.Size];
        LocalId.FlipBit(index).WriteTo(prefix);
        rng.NextBytes(random);
        for (var b = 0; b < NodeId.Size; b++)
        {
            var keep = Math.Clamp(index + 1 - (b * 8), 0, 8);
            var mask = (byte)(0xFF00 >> keep);
            random[b] = (byte)((prefix[b] & mask) | (random[b] & ~mask));
        }

        return new NodeId(random);
    }

    /// <summary>A random id in storage slot <paramref name="slot"/> (see <see cref="SlotOf(NodeId)"/>).</summary>
    private NodeId RandomIdInSlot(int slot, ref Xoshiro256State rng)
    {
        var bits = _options.BucketSplitBits;
        var level = slot >> bits;
        return RandomIdInBucket(level, ref rng).WithBits(level + 1, bits, slot & ((1 << bits) - 1));
    }

    /// <summary>All contacts in the buckets (copied views), by bucket index then least recently seen first.</summary>
    public IEnumerable<Contact> AllContacts()
    {
        for (var b = 0; b < _buckets.Length; b++)
        {
            for (var i = 0; i < _buckets[b].Count; i++)
            {
                yield return View(_buckets[b].Contacts[i]);
            }
        }
    }

    /// <summary>All replacement-cache entries (copied views), by bucket index then oldest first.</summary>
    public IEnumerable<Contact> AllReplacements()
    {
        for (var b = 0; b < _buckets.Length; b++)
        {
            for (var i = 0; i < _buckets[b].ReplacementCount; i++)
            {
                yield return View(_buckets[b].Replacements[i]);
            }
        }
    }

    /// <summary>
    /// Appends the sub-buckets of bucket <paramref name="level"/> nearest the target first: a sub-bucket's number is
    /// the b id bits after the differing bit, so XOR with the target's bits there orders them by distance.
    /// </summary>
    /// <returns>The number of picks after this level.</returns>
    private int AppendLevel(int level, in ClosestQuery query, Span<int> picks, int have)
    {
        var bits = _options.BucketSplitBits;
        var targetSub = SlotOf(level, query.Target) & ((1 << bits) - 1);
        for (var j = 0; j < 1 << bits && have < query.Count; j++)
        {
            var slot = (level << bits) | (j ^ targetSub);
            if (slot < _buckets.Length)
            {
                have = AppendBucket(slot, query, picks, have);
            }
        }

        return have;
    }

    // No zeroing of the two stack buffers: only the first n entries, written just before, are ever read.
    [SkipLocalsInit]
    private int AppendBucket(int index, in ClosestQuery query, Span<int> picks, int have)
    {
        ref readonly var bucket = ref _buckets[index];
        if (bucket.Count == 0)
        {
            return have;
        }

        // FindClosest runs for every FIND_NODE served, and the last bucket it visits usually gives only a few of its
        // contacts. So the bucket's entries are ordered by small keys, the first 64 bits of their distance to the
        // target (a register compare, where a full distance is four words), with ties broken by the full distance,
        // and only the picks leave the method. XOR distances to one target are distinct for distinct ids, so the order
        // is the same as sorting by full distance. Allocates nothing: a bucket holds at most K (<= 256) contacts.
        var entries = bucket.Contacts;
        if (MemoryHint.Enabled)
        {
            // Every entry's directory slot is read below; hinted first, their misses overlap.
            foreach (ref readonly var entry in entries)
            {
                _directory.Hint(entry.Peer);
            }
        }

        // Room for the keys rounded up to whole vectors: the padding (all ones) is never below a key.
        Span<ulong> keys = stackalloc ulong[(entries.Length + 3) & ~3];
        Span<byte> order = stackalloc byte[entries.Length];
        var targetHigh = query.Target.High64;
        var n = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            if (query.ExcludeStale && entry.FailedRequests != 0)
            {
                continue;
            }

            ref readonly var id = ref _directory.IdRefOf(entry.Peer);
            if (query.Excluding && entry.IdTag == query.Exclude.Tag && id == query.Exclude)
            {
                continue;
            }

            keys[n] = id.High64 ^ targetHigh;
            order[n] = (byte)i;
            n++;
        }

        var take = Math.Min(n, query.Count - have);
        if (!RankNearest(keys, n, order, take, picks.Slice(have, take), index << 8))
        {
            SelectNearest(keys[..n], order[..n], take, entries, query.Target);
            var slotBase = index << 8;
            for (var i = 0; i < take; i++)
            {
                picks[have + i] = slotBase | order[i];
            }
        }

        return have + take;
    }

    /// <summary>
    /// Writes the <paramref name="take"/> entries with the smallest of the first <paramref name="n"/> distance
    /// <paramref name="keys"/> to <paramref name="picks"/>, nearest first (as <paramref name="slotBase"/> plus their
    /// <paramref name="order"/> position), by rank: each key's rank is the number of keys below it, counted four at a
    /// time. No branch depends on the keys, where a sort mispredicts about once per key. False when two keys are equal
    /// (distances sharing their first 64 bits) or a bucket holds more than 64 contacts: the caller then sorts by full
    /// distance and writes every pick again, over any this wrote before it found the tie.
    /// </summary>
    private static bool RankNearest(Span<ulong> keys, int n, ReadOnlySpan<byte> order, int take, Span<int> picks, int slotBase)
    {
        if (n > 64 || !Vector256.IsHardwareAccelerated)
        {
            return false;
        }

        var padded = (n + 3) & ~3;
        keys[n..padded].Fill(ulong.MaxValue);
        var seen = 0UL;
        for (var i = 0; i < n; i++)
        {
            var key = Vector256.Create(keys[i]);
            var below = Vector256<ulong>.Zero;
            for (var j = 0; j < padded; j += 4)
            {
                below -= Vector256.LessThan(Vector256.Create<ulong>(keys.Slice(j, 4)), key);
            }

            var rank = (int)Vector256.Sum(below);
            if ((seen & (1UL << rank)) != 0)
            {
                return false; // a tie: two keys share this rank
            }

            seen |= 1UL << rank;
            if (rank < take)
            {
                picks[rank] = slotBase | order[i];
            }
        }

        return true;
    }

    /// <summary>What <see cref="FindClosest"/> was asked for, passed down its bucket visits in one piece.</summary>
    private readonly record struct ClosestQuery(NodeId Target, int Count, bool ExcludeStale, NodeId Exclude, bool Excluding);

    /// <summary>
    /// Moves the <paramref name="take"/> nearest entries (their distance <paramref name="keys"/> and their
    /// <paramref name="order"/> positions in <paramref name="entries"/>) to the front, in ascending order: insertion
    /// sort when most are kept, repeated selection of the minimum when only a few are.
    /// </summary>
    private void SelectNearest(Span<ulong> keys, Span<byte> order, int take, ReadOnlySpan<ContactEntry> entries, NodeId target)
    {
        if (take * 4 < keys.Length)
        {
            for (var i = 0; i < take; i++)
            {
                var min = i;
                for (var j = i + 1; j < keys.Length; j++)
                {
                    if (keys[j] < keys[min] || (keys[j] == keys[min] && Nearer(entries, order[j], order[min], target)))
                    {
                        min = j;
                    }
                }

                (keys[i], keys[min]) = (keys[min], keys[i]);
                (order[i], order[min]) = (order[min], order[i]);
            }

            return;
        }

        for (var i = 1; i < keys.Length; i++)
        {
            var key = keys[i];
            var position = order[i];
            var j = i - 1;
            while (j >= 0 && (keys[j] > key || (keys[j] == key && Nearer(entries, position, order[j], target))))
            {
                keys[j + 1] = keys[j];
                order[j + 1] = order[j];
                j--;
            }

            keys[j + 1] = key;
            order[j + 1] = position;
        }
    }

    /// <summary>
    /// Whether entry <paramref name="a"/> is nearer <paramref name="target"/> than entry <paramref name="b"/> by full
    /// distance: for two entries whose distances share their first 64 bits (ids sharing 64 bits, all but never).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly bool Nearer(ReadOnlySpan<ContactEntry> entries, byte a, byte b, NodeId target) =>
        NodeId.CompareDistance(_directory.IdOf(entries[a].Peer), _directory.IdOf(entries[b].Peer), target) < 0;
}
