using System.Runtime.CompilerServices;
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

        var query = new ClosestQuery(target, count, excludeStale, exclude ?? default, exclude.HasValue);
        var levels = (_buckets.Length + (1 << _options.BucketSplitBits) - 1) >> _options.BucketSplitBits;
        var order = new VisitOrder(BucketIndexOf(target), LocalId.Xor(target), levels);
        if (_options.BucketSplitBits == 0 && MemoryHint.Enabled)
        {
            HintVisits(order); // a copy: the visit below starts from the first level again
        }

        var done = false;
        while (!done && order.TryNext(out var level))
        {
            done = AppendLevel(level, query, result);
        }

        return result.Count;
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
    private bool AppendLevel(int level, in ClosestQuery query, List<Contact> result)
    {
        var bits = _options.BucketSplitBits;
        var targetSub = SlotOf(level, query.Target) & ((1 << bits) - 1);
        for (var j = 0; j < 1 << bits; j++)
        {
            var slot = (level << bits) | (j ^ targetSub);
            if (slot < _buckets.Length && AppendBucket(slot, query, result))
            {
                return true;
            }
        }

        return false;
    }

    // No zeroing of the two stack buffers (a quarter of this method's time in a profile): only the first n entries,
    // written just before, are ever read.
    [SkipLocalsInit]
    private bool AppendBucket(int index, in ClosestQuery query, List<Contact> result)
    {
        ref readonly var bucket = ref _buckets[index];
        if (bucket.Count == 0)
        {
            return false;
        }

        // FindClosest runs for every FIND_NODE served, and the last bucket it visits usually gives only a few of its
        // contacts. So the bucket's entries are ordered as small (distance, position) keys and only the contacts kept
        // are copied out: sorting Contact values, or building one for every entry, cost more than the rest of the
        // query. XOR distances to one target are distinct for distinct ids, so the order is the same as sorting the
        // contacts themselves. Allocates nothing: a bucket holds at most K (<= 256) contacts.
        var entries = bucket.Contacts;
        if (MemoryHint.Enabled)
        {
            // Every entry's directory slot is read below; hinted first, their misses overlap.
            foreach (ref readonly var entry in entries)
            {
                _directory.Hint(entry.Peer);
            }
        }

        Span<NodeId> distances = stackalloc NodeId[entries.Length];
        Span<byte> order = stackalloc byte[entries.Length];
        var n = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            if (query.ExcludeStale && entries[i].FailedRequests != 0)
            {
                continue;
            }

            var id = _directory.IdOf(entries[i].Peer);
            if (query.Excluding && id == query.Exclude)
            {
                continue;
            }

            distances[n] = id.Xor(query.Target);
            order[n] = (byte)i;
            n++;
        }

        var take = Math.Min(n, query.Count - result.Count);
        SelectNearest(distances[..n], order[..n], take);
        for (var i = 0; i < take; i++)
        {
            result.Add(View(entries[order[i]]));
        }

        return result.Count >= query.Count;
    }

    /// <summary>What <see cref="FindClosest"/> was asked for, passed down its bucket visits in one piece.</summary>
    private readonly record struct ClosestQuery(NodeId Target, int Count, bool ExcludeStale, NodeId Exclude, bool Excluding);

    /// <summary>
    /// Moves the <paramref name="take"/> smallest <paramref name="distances"/> (with their <paramref name="order"/>
    /// positions) to the front, in ascending order: insertion sort when most are kept, repeated selection of the
    /// minimum when only a few are.
    /// </summary>
    private static void SelectNearest(Span<NodeId> distances, Span<byte> order, int take)
    {
        if (take * 4 < distances.Length)
        {
            for (var i = 0; i < take; i++)
            {
                var min = i;
                for (var j = i + 1; j < distances.Length; j++)
                {
                    if (distances[j].CompareTo(distances[min]) < 0)
                    {
                        min = j;
                    }
                }

                (distances[i], distances[min]) = (distances[min], distances[i]);
                (order[i], order[min]) = (order[min], order[i]);
            }

            return;
        }

        for (var i = 1; i < distances.Length; i++)
        {
            var key = distances[i];
            var position = order[i];
            var j = i - 1;
            while (j >= 0 && distances[j].CompareTo(key) > 0)
            {
                distances[j + 1] = distances[j];
                order[j + 1] = order[j];
                j--;
            }

            distances[j + 1] = key;
            order[j + 1] = position;
        }
    }
}
