using Dht.Protocol;
using Dht.Routing;
using static Dht.Tests.Routing.RoutingFixtures;

namespace Dht.Tests.Routing;

[TestClass]
public sealed class RoutingTableLookupTests
{
    [TestMethod]
    [DataRow(1UL)]
    [DataRow(42UL)]
    [DataRow(0xDEADBEEFUL)]
    [DataRow(20240601UL)]
    [DataRow(7UL, 1)]
    [DataRow(8UL, 2)]
    [DataRow(9UL, 3)]
    [DataRow(11UL, 0, RoutingOptions.MaxK)] // full buckets of 256: the largest position a bucket scan orders
    public void FindClosest_RandomTable_MatchesBruteForceSort(ulong seed, int splitBits = 0, int k = 64)
    {
        var rng = new Xoshiro256(seed);
        var local = rng.NextNodeId();
        var options = new RoutingOptions { K = k, MaxContactsPerSubnetPerBucket = 0, MaxContactsPerSubnetInTable = 0, BucketSplitBits = splitBits };
        var table = new RoutingTable(local, options);
        for (var i = 0; i < 3000; i++)
        {
            // Half uniform, half near the local id, so many buckets are populated.
            var id = i % 2 == 0 ? rng.NextNodeId() : table.RandomIdInBucket(rng.NextInt32(24), ref rng.State);
            table.OnVerifiedReply(id, V4(i), At(i), null);
        }

        var all = table.AllContacts().ToList();
        Assert.IsGreaterThan(500, all.Count, $"seed {seed}");
        var targets = new List<NodeId> { local, all[0].Id, all[^1].Id, local.FlipBit(255), local.FlipBit(0) };
        for (var i = 0; i < 60; i++)
        {
            targets.Add(i % 2 == 0 ? rng.NextNodeId() : table.RandomIdInBucket(rng.NextInt32(30), ref rng.State));
        }

        var result = new List<Contact>();
        foreach (var target in targets)
        {
            foreach (var count in new[] { 1, 8, 20, 100, all.Count + 5 })
            {
                var expected = all.OrderBy(c => c.Id.Xor(target)).Take(count).Select(c => c.Id).ToList();
                var written = table.FindClosest(target, count, result);
                Assert.AreEqual(expected.Count, written, $"seed {seed}, target {target}, count {count}");
                CollectionAssert.AreEqual(expected, result.Select(c => c.Id).ToList(), $"seed {seed}, target {target}, count {count}");

                // Leaving one id out (the requester of a FIND_NODE): the closest one, or one from anywhere in the table.
                foreach (var excluded in new[] { expected[0], all[rng.NextInt32(all.Count)].Id })
                {
                    var expectedWithout = all.Where(c => c.Id != excluded).OrderBy(c => c.Id.Xor(target)).Take(count).Select(c => c.Id).ToList();
                    table.FindClosest(target, count, result, exclude: excluded);
                    CollectionAssert.AreEqual(expectedWithout, result.Select(c => c.Id).ToList(), $"seed {seed}, target {target}, count {count}, without {excluded}");
                }
            }
        }
    }

    [TestMethod]
    [DataRow(3UL, 0)]
    [DataRow(5UL, 1)]
    public void FindClosest_IdsSharingTheirFirst64Bits_OrderedByTheFullDistance(ulong seed, int splitBits)
    {
        // Ids chosen to share their first 64 bits (a cheap collision for whoever picks the ids) differ only further on:
        // the closest ones must still come out in the order of the full distance. This guards any shortcut that orders
        // a bucket by a prefix of the distance (one was tried: docs/benchmarks-history.md, "fourth round").
        var rng = new Xoshiro256(seed);
        var local = rng.NextNodeId();
        var options = new RoutingOptions { K = 32, MaxContactsPerSubnetPerBucket = 0, MaxContactsPerSubnetInTable = 0, BucketSplitBits = splitBits };
        var table = new RoutingTable(local, options);
        var shared = rng.NextNodeId().High64;
        for (var i = 0; i < 24; i++)
        {
            var id = new NodeId(shared, rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64());
            table.OnVerifiedReply(id, V4(i), At(i), null);
        }

        for (var i = 0; i < 200; i++)
        {
            table.OnVerifiedReply(rng.NextNodeId(), V4(100 + i), At(100 + i), null);
        }

        var all = table.AllContacts().ToList();
        Assert.IsGreaterThanOrEqualTo(20, all.Count(c => c.Id.High64 == shared), $"seed {seed}: the colliding ids are in the table");
        var result = new List<Contact>();
        for (var t = 0; t < 40; t++)
        {
            // Targets that share the prefix too, and random ones.
            var target = t % 2 == 0 ? new NodeId(shared, rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64()) : rng.NextNodeId();
            foreach (var count in new[] { 1, 3, 20, 60 })
            {
                var expected = all.OrderBy(c => c.Id.Xor(target)).Take(count).Select(c => c.Id).ToList();
                table.FindClosest(target, count, result);
                CollectionAssert.AreEqual(expected, result.Select(c => c.Id).ToList(), $"seed {seed}, target {target}, count {count}");
            }
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void SplitBuckets_EachSubBucketHoldsUpToK_AndRefreshTargetsLandInTheirSlot(int splitBits)
    {
        var rng = new Xoshiro256((ulong)(100 + splitBits));
        var local = rng.NextNodeId();
        var options = new RoutingOptions { K = 4, MaxContactsPerSubnetPerBucket = 0, MaxContactsPerSubnetInTable = 0, BucketSplitBits = splitBits };
        var table = new RoutingTable(local, options);
        for (var i = 0; i < 2000; i++)
        {
            table.OnVerifiedReply(rng.NextNodeId(), V4(i), At(i), null);
        }

        // Bucket 0 (ids differing in the first bit) alone holds K per sub-bucket: 2^b x K in all.
        var contacts = table.AllContacts().ToList();
        Assert.AreEqual(4 << splitBits, contacts.Count(c => local.CommonPrefixLength(c.Id) == 0), "bucket 0 filled per sub-bucket");
        foreach (var group in contacts.GroupBy(c => table.SlotOf(c.Id)))
        {
            Assert.IsLessThanOrEqualTo(4, group.Count(), $"slot {group.Key}");
            Assert.AreEqual(group.Key >> splitBits, local.CommonPrefixLength(group.First().Id), "a slot's number starts with its bucket index");
        }

        var targets = new List<NodeId>();
        var n = table.CollectBucketsNeedingRefresh(At(0) + options.BucketRefreshInterval + TimeSpan.FromHours(1), ref rng.State, targets);
        var slots = contacts.Select(c => table.SlotOf(c.Id)).Distinct().Order().ToList();
        Assert.AreEqual(slots.Count, n, "one refresh target per non-empty sub-bucket");
        CollectionAssert.AreEqual(slots, targets.Select(table.SlotOf).ToList(), "each target lies in the sub-bucket it refreshes");
    }

    /// <summary>
    /// The refresh scan is skipped while a lower bound says no bucket can be due: under random admissions, removals,
    /// lookups and refresh calls at random times, every due bucket is still returned (within the budget) on time.
    /// </summary>
    [TestMethod]
    [DataRow(11UL, 0)]
    [DataRow(12UL, 1)]
    public void CollectBucketsNeedingRefresh_SkippedScans_NeverMissADueBucket(ulong seed, int splitBits)
    {
        var rng = new Xoshiro256(seed);
        var local = rng.NextNodeId();
        var options = new RoutingOptions { K = 4, MaxContactsPerSubnetPerBucket = 0, MaxContactsPerSubnetInTable = 0, BucketSplitBits = splitBits };
        var table = new RoutingTable(local, options);
        var targets = new List<NodeId>();
        var now = At(0);
        var known = new List<NodeId>();
        for (var step = 0; step < 5000; step++)
        {
            now += TimeSpan.FromSeconds(rng.NextInt32(60));
            switch (rng.NextInt32(4))
            {
                case 0:
                    var id = rng.NextInt32(2) == 0 ? rng.NextNodeId() : table.RandomIdInBucket(rng.NextInt32(12), ref rng.State);
                    table.OnVerifiedReply(id, V4(step), now, null);
                    known.Add(id);
                    break;
                case 1 when known.Count > 0:
                    table.Remove(known[rng.NextInt32(known.Count)]);
                    break;
                case 2:
                    table.MarkBucketUsed(rng.NextNodeId(), now);
                    break;
                default:
                    var due = table.CountDueBuckets(now);
                    var budget = 1 + rng.NextInt32(4);
                    var n = table.CollectBucketsNeedingRefresh(now, ref rng.State, targets, budget);
                    Assert.AreEqual(Math.Min(due, budget), n, $"step {step}; seed {seed}");
                    break;
            }
        }
    }

    /// <summary>
    /// A warm-started table's first refreshes are spread over the second refresh interval (plus each bucket's random
    /// share of half an interval): none is due before one interval, every bucket is due by two and a half, the due
    /// times differ, and the skipped-scan bound still never misses one.
    /// </summary>
    [TestMethod]
    [DataRow(21UL)]
    [DataRow(22UL)]
    public void SpreadFirstRefresh_SpreadsDueTimesOverTheSecondInterval(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var options = new RoutingOptions { K = 4, MaxContactsPerSubnetPerBucket = 0, MaxContactsPerSubnetInTable = 0 };
        var table = new RoutingTable(rng.NextNodeId(), options);
        var start = At(100);
        for (var i = 0; i < 300; i++)
        {
            table.OnVerifiedReply(table.RandomIdInBucket(rng.NextInt32(10), ref rng.State), V4(i), start, null);
        }

        var buckets = table.CountDueBuckets(start + (2.5 * options.BucketRefreshInterval));
        Assert.IsTrue(buckets >= 8, $"non-empty buckets {buckets}; seed {seed}");
        table.SpreadFirstRefresh(start, ref rng.State);

        var interval = options.BucketRefreshInterval;
        Assert.AreEqual(0, table.CountDueBuckets(start + interval - TimeSpan.FromTicks(1)), $"seed {seed}");
        Assert.AreEqual(buckets, table.CountDueBuckets(start + (2.5 * interval)), $"seed {seed}");

        // Walk from one to two and a half intervals: buckets fall due one at a time, and the refresh scan returns each
        // on time (some, refreshed early, fall due a second time before the walk ends).
        var targets = new List<NodeId>();
        var refreshed = new HashSet<int>();
        for (var now = start + interval; now <= start + (2.5 * interval); now += TimeSpan.FromSeconds(1))
        {
            var due = table.CountDueBuckets(now);
            Assert.IsTrue(due <= 1, $"{due} buckets due together at {now}; seed {seed}");
            table.CollectBucketsNeedingRefresh(now, ref rng.State, targets);
            Assert.AreEqual(due, targets.Count, $"at {now}; seed {seed}");
            refreshed.UnionWith(targets.Select(table.SlotOf));
        }

        Assert.HasCount(buckets, refreshed, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(31UL, 0, 20)]
    [DataRow(32UL, 1, 20)]
    [DataRow(33UL, 0, 64)]
    [DataRow(34UL, 0, RoutingOptions.MaxK)] // buckets beyond 64 contacts: ordered by the sort, not by rank
    public void FindClosestPeers_MatchesBruteForce_WithoutStaleContactsAndTheRequester(ulong seed, int splitBits, int k)
    {
        // The FIND_NODE answer's query: directory handles of the closest fresh contacts, the requester left out. Some
        // contacts share their first 64 bits (equal ranking keys), some have failed requests.
        var rng = new Xoshiro256(seed);
        var local = rng.NextNodeId();
        var options = new RoutingOptions { K = k, MaxContactsPerSubnetPerBucket = 0, MaxContactsPerSubnetInTable = 0, BucketSplitBits = splitBits };
        var table = new RoutingTable(local, options);
        var shared = rng.NextNodeId().High64;
        for (var i = 0; i < 2000; i++)
        {
            var id = (i % 3) switch
            {
                0 => rng.NextNodeId(),
                1 => table.RandomIdInBucket(rng.NextInt32(20), ref rng.State),
                _ => i % 30 == 2 ? new NodeId(shared, rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64()) : rng.NextNodeId(),
            };
            table.OnVerifiedReply(id, V4(i), At(i), null);
        }

        foreach (var c in table.AllContacts().Where((_, i) => i % 7 == 3).ToList())
        {
            table.OnRequestFailed(c.Id, At(5000));
        }

        var all = table.AllContacts().ToList();
        Assert.IsTrue(all.Any(c => c.IsStale), $"seed {seed}: some contacts are stale");
        var handles = new int[k];
        for (var t = 0; t < 80; t++)
        {
            var target = (t % 4) switch
            {
                0 => rng.NextNodeId(),
                1 => new NodeId(shared, rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64()),
                2 => table.RandomIdInBucket(rng.NextInt32(24), ref rng.State),
                _ => local,
            };
            var requester = t % 2 == 0 ? all[rng.NextInt32(all.Count)].Id : rng.NextNodeId();
            var expected = all.Where(c => !c.IsStale && c.Id != requester).OrderBy(c => c.Id.Xor(target)).Take(k).ToList();

            var written = table.FindClosestPeers(target, requester, handles);

            var got = handles.Take(written).Select(h => (table.PeerIdOf(h), table.PeerAddressOf(h))).ToList();
            CollectionAssert.AreEqual(expected.Select(c => (c.Id, c.Address)).ToList(), got, $"seed {seed}, target {target}, requester {requester}");
        }

        Assert.AreEqual(0, table.FindClosestPeers(local, local, []), "no room, no handles");
    }

    [TestMethod]
    public void FindClosest_ExcludeStale_SkipsFailedContacts()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4);
        table.OnRequestFailed(IdInBucket(3, 1), At(10));
        var result = new List<Contact>();

        table.FindClosest(IdInBucket(3, 1), 4, result, excludeStale: true);
        var withStale = table.FindClosest(IdInBucket(3, 1), 4, [], excludeStale: false);

        CollectionAssert.AreEqual(new[] { IdInBucket(3, 3), IdInBucket(3, 2), IdInBucket(3, 4) }, result.Select(c => c.Id).ToList());
        Assert.AreEqual(4, withStale);
    }

    [TestMethod]
    public void FindClosest_EmptyTableOrZeroCount_ReturnsNothing()
    {
        var table = SmallTable();
        var result = new List<Contact>();

        Assert.AreEqual(0, table.FindClosest(IdInBucket(3, 1), 8, result));
        Fill(ref table, 3, 2);
        Assert.AreEqual(0, table.FindClosest(IdInBucket(3, 1), 0, result));
        Assert.IsEmpty(result);
    }

    [TestMethod]
    public void RandomIdInBucket_EveryIndex_SharesExactlyThatPrefix()
    {
        var table = SmallTable();
        var rng = new Xoshiro256(7);

        for (var index = 0; index < RoutingTable.MaxBuckets; index++)
        {
            for (var i = 0; i < 4; i++)
            {
                var id = table.RandomIdInBucket(index, ref rng.State);
                Assert.AreEqual(index, Local.CommonPrefixLength(id), $"index {index}, id {id}");
            }
        }
    }

    [TestMethod]
    public void RandomIdInBucket_LowIndex_RandomizesSuffix()
    {
        var table = SmallTable();
        var rng = new Xoshiro256(11);

        var ids = Enumerable.Range(0, 16).Select(_ => table.RandomIdInBucket(10, ref rng.State)).Distinct().Count();

        Assert.AreEqual(16, ids);
    }

    [TestMethod]
    [DataRow(3UL)]
    [DataRow(99UL)]
    public void CollectBucketsNeedingRefresh_IdleBuckets_TargetsLandInTheirBuckets(ulong seed)
    {
        var table = SmallTable();
        var rng = new Xoshiro256(seed);
        table.OnVerifiedReply(IdInBucket(0, 1), V4(1), At(0), null);
        table.OnVerifiedReply(IdInBucket(2, 1), V4(2), At(0), null);
        table.OnVerifiedReply(IdInBucket(7, 1), V4(3), At(0), null);
        table.Remove(IdInBucket(2, 1));
        var targets = new List<NodeId>();

        table.MarkBucketUsed(IdInBucket(7, 99), At(60));
        var due0 = table.RefreshDueAt(IdInBucket(0, 1))!.Value;
        var due7 = table.RefreshDueAt(IdInBucket(7, 1))!.Value;
        AssertRefreshDelay(table, At(0), due0);
        AssertRefreshDelay(table, At(60), due7);
        Assert.AreEqual(0, table.CollectBucketsNeedingRefresh(Instant.Min(due0, due7) - TimeSpan.FromTicks(1), ref rng.State, targets));

        // The emptied bucket 2 is never due; each of the others exactly at its own due time.
        var (first, second, firstBucket, secondBucket) = due0 <= due7 ? (due0, due7, 0, 7) : (due7, due0, 7, 0);
        Assert.AreEqual(1, table.CollectBucketsNeedingRefresh(first, ref rng.State, targets), $"seed {seed}");
        Assert.AreEqual(firstBucket, Local.CommonPrefixLength(targets[0]), $"seed {seed}");
        if (second > first)
        {
            Assert.AreEqual(0, table.CollectBucketsNeedingRefresh(second - TimeSpan.FromTicks(1), ref rng.State, targets));
        }

        Assert.AreEqual(1, table.CollectBucketsNeedingRefresh(second, ref rng.State, targets));
        Assert.AreEqual(secondBucket, Local.CommonPrefixLength(targets[0]), $"seed {seed}");

        // Refreshed buckets wait a new delay from the refresh.
        AssertRefreshDelay(table, first, table.RefreshDueAt(IdInBucket(firstBucket, 1))!.Value);
        Assert.IsNull(table.RefreshDueAt(IdInBucket(5, 1)));
    }

    [TestMethod]
    public void RefreshDelays_DifferPerBucketAndRefresh_AndStayWithinHalfAnInterval()
    {
        var table = SmallTable();
        var rng = new Xoshiro256(8);
        for (var b = 0; b < 12; b++)
        {
            table.OnVerifiedReply(IdInBucket(b, 1), V4(b), At(0), null);
        }

        var delays = new HashSet<TimeSpan>();
        var now = At(0);
        var targets = new List<NodeId>();
        for (var round = 0; round < 4; round++)
        {
            for (var b = 0; b < 12; b++)
            {
                var due = table.RefreshDueAt(IdInBucket(b, 1))!.Value;
                AssertRefreshDelay(table, round == 0 ? At(0) : now, due);
                delays.Add(due - (round == 0 ? At(0) : now));
            }

            // Refresh every bucket at once; each then draws a new delay.
            now += 2 * table.Options.BucketRefreshInterval;
            Assert.AreEqual(12, table.CollectBucketsNeedingRefresh(now, ref rng.State, targets));
        }

        Assert.IsGreaterThan(40, delays.Count, "48 delays, nearly all different");
    }

    [TestMethod]
    public void CollectBucketsNeedingRefresh_MoreDueThanMax_TakesTheLongestDueFirst()
    {
        var table = SmallTable();
        var rng = new Xoshiro256(12);
        for (var b = 0; b < 6; b++)
        {
            table.OnVerifiedReply(IdInBucket(b, 1), V4(b), At(0), null);
        }

        // Higher buckets were last used earlier, so they have been due longest.
        for (var b = 0; b < 6; b++)
        {
            table.MarkBucketUsed(IdInBucket(b, 2), At(600 - (100 * b)));
        }

        var dues = Enumerable.Range(0, 6).Select(b => (Due: table.RefreshDueAt(IdInBucket(b, 1))!.Value, Bucket: b)).OrderBy(d => d.Due).ThenBy(d => d.Bucket).ToList();
        var now = dues[^1].Due;
        var targets = new List<NodeId>();

        Assert.AreEqual(2, table.CollectBucketsNeedingRefresh(now, ref rng.State, targets, max: 2));
        CollectionAssert.AreEquivalent(
            dues.Take(2).Select(d => d.Bucket).ToList(),
            targets.Select(t => Local.CommonPrefixLength(t)).ToList(),
            "the two due longest, not the two lowest buckets");
        Assert.AreEqual(4, table.CountDueBuckets(now));

        // The rest go next, longest due first, before any bucket refreshed just now is due again.
        Assert.AreEqual(2, table.CollectBucketsNeedingRefresh(now, ref rng.State, targets, max: 2));
        CollectionAssert.AreEquivalent(dues.Skip(2).Take(2).Select(d => d.Bucket).ToList(), targets.Select(t => Local.CommonPrefixLength(t)).ToList());
        Assert.AreEqual(2, table.CollectBucketsNeedingRefresh(now, ref rng.State, targets, max: 2));
        Assert.AreEqual(0, table.CountDueBuckets(now));
    }

    [TestMethod]
    public void MarkSenderActive_TrafficFromABucketsRange_PostponesOnlyThatBucketsRefresh()
    {
        var table = SmallTable();
        var rng = new Xoshiro256(5);
        table.OnVerifiedReply(IdInBucket(0, 1), V4(1), At(0), null);
        table.OnVerifiedReply(IdInBucket(3, 1), V4(2), At(0), null);
        var due0 = table.RefreshDueAt(IdInBucket(0, 1))!.Value;
        var due3 = table.RefreshDueAt(IdInBucket(3, 1))!.Value;
        var targets = new List<NodeId>();

        // A node the table does not hold, in bucket 3's range, sends us something at 60 s; traffic from an empty
        // range, from the local id or from the zero id changes nothing.
        table.MarkSenderActive(IdInBucket(3, 77), At(60));
        table.MarkSenderActive(IdInBucket(5, 77), At(60));
        table.MarkSenderActive(Local, At(60));
        table.MarkSenderActive(default, At(60));

        Assert.AreEqual(due0, table.RefreshDueAt(IdInBucket(0, 1)));
        Assert.AreEqual(due3 + TimeSpan.FromSeconds(60), table.RefreshDueAt(IdInBucket(3, 1)));
        Assert.IsNull(table.RefreshDueAt(IdInBucket(5, 1)));
        var later = due3 + TimeSpan.FromSeconds(60);
        Assert.AreEqual(0, table.CollectBucketsNeedingRefresh(Instant.Min(due0, later) - TimeSpan.FromTicks(1), ref rng.State, targets));
        Assert.AreEqual(later <= due0 ? 2 : 1, table.CollectBucketsNeedingRefresh(Instant.Max(due0, due3), ref rng.State, targets));
        Assert.AreEqual(0, Local.CommonPrefixLength(targets[0]));
    }

    [TestMethod]
    public void MarkSenderActive_OlderInstant_DoesNotMoveLastUseBack()
    {
        var table = SmallTable();
        table.OnVerifiedReply(IdInBucket(2, 1), V4(1), At(0), null);
        var delay = table.RefreshDueAt(IdInBucket(2, 1))!.Value - At(0);

        table.MarkSenderActive(IdInBucket(2, 9), At(120));
        table.MarkSenderActive(IdInBucket(2, 9), At(30));

        Assert.AreEqual(At(120) + delay, table.RefreshDueAt(IdInBucket(2, 1)));
    }

    private static void AssertRefreshDelay(RoutingTable table, Instant lastUsed, Instant due)
    {
        var interval = table.Options.BucketRefreshInterval;
        var delay = due - lastUsed;
        Assert.IsTrue(delay >= interval && delay < 1.5 * interval, $"refresh delay {delay} for interval {interval}");
    }

    [TestMethod]
    [DataRow(nameof(RoutingOptions.K), 0)]
    [DataRow(nameof(RoutingOptions.K), 257)]
    [DataRow(nameof(RoutingOptions.ReplacementCacheSize), -1)]
    [DataRow(nameof(RoutingOptions.MaxFailuresBeforeEviction), 0)]
    [DataRow(nameof(RoutingOptions.MaxContactsPerSubnetPerBucket), -1)]
    [DataRow(nameof(RoutingOptions.MaxContactsPerSubnetInTable), -1)]
    [DataRow(nameof(RoutingOptions.BucketRefreshInterval), 0)]
    [DataRow(nameof(RoutingOptions.PingOldestAfter), -1)]
    [DataRow(nameof(RoutingOptions.BucketSplitBits), -1)]
    [DataRow(nameof(RoutingOptions.BucketSplitBits), 4)]
    public void Validate_BadValue_ThrowsNamingOption(string option, int value)
    {
        var options = new RoutingOptions();
        typeof(RoutingOptions).GetProperty(option)!.SetValue(
            options,
            option is nameof(RoutingOptions.BucketRefreshInterval) or nameof(RoutingOptions.PingOldestAfter)
                ? TimeSpan.FromSeconds(value)
                : value);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);

        Assert.AreEqual(option, error.ParamName);
        Assert.Contains(option, error.Message);
    }

    [TestMethod]
    public void Validate_Defaults_DoesNotThrow()
    {
        var options = new RoutingOptions();

        options.Validate();

        Assert.AreEqual(20, options.K);
        Assert.AreEqual(10, options.ReplacementCacheSize);
    }

    [TestMethod]
    public void Constructor_InvalidOptionsOrZeroLocalId_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RoutingTable(Local, new RoutingOptions { K = 0 }));
        Assert.ThrowsExactly<ArgumentException>(() => new RoutingTable(default, new RoutingOptions()));
    }
}
