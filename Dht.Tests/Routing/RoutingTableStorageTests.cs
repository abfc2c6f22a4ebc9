using System.Runtime.CompilerServices;
using Dht.Protocol;
using Dht.Routing;
using static Dht.Tests.Routing.RoutingFixtures;

namespace Dht.Tests.Routing;

/// <summary>The compact storage: every entry holds exactly one directory reference, on every path.</summary>
[TestClass]
public sealed class RoutingTableStorageTests
{
    [TestMethod]
    public void ContactEntry_Layout_SixteenBytesNoReferences()
    {
        Assert.AreEqual(16, Unsafe.SizeOf<ContactEntry>());
        Assert.IsFalse(RuntimeHelpers.IsReferenceOrContainsReferences<ContactEntry>());
    }

    [TestMethod]
    public void LastSeen_KeptToTheMillisecondRoundedDown_EarlierTimesReadAsTheEpoch()
    {
        var table = SmallTable();
        table.OnVerifiedReply(IdInBucket(3, 1), V4(1), At(10), null); // the first stamp sets the epoch
        table.OnVerifiedReply(IdInBucket(3, 2), V4(2), At(11.0004567), null);
        table.OnVerifiedReply(IdInBucket(3, 3), V4(3), At(4), null);

        Assert.IsTrue(table.TryGet(IdInBucket(3, 1), out var first));
        Assert.AreEqual(At(10), first.LastSeen);
        Assert.IsTrue(table.TryGet(IdInBucket(3, 2), out var second));
        Assert.AreEqual(At(11.000), second.LastSeen);
        Assert.IsTrue(table.TryGet(IdInBucket(3, 3), out var early));
        Assert.AreEqual(At(10), early.LastSeen, "a time before the epoch stamps as the epoch");
    }

    /// <summary>
    /// A table left without a verified reply for longer than the stamps' range (here 200 days, beyond 2^32 ms): the
    /// epoch moves by more than any stamp (and by more than 32 bits hold), so every old contact reads as the new epoch,
    /// and the new reply is exact.
    /// </summary>
    [TestMethod]
    public void LastSeen_FirstReplyAfterMonthsOfSilence_OldStampsReadAsTheEpoch()
    {
        var table = SmallTable();
        Fill(ref table, 3, 3); // seen at 1..3 s
        table.OnVerifiedReply(IdInBucket(3, 3), V4((3 * 256) + 3), At(1) + TimeSpan.FromDays(20), null); // a large stamp
        var later = At(1) + TimeSpan.FromDays(220) + TimeSpan.FromMilliseconds(7);
        Assert.AreEqual(AdmitOutcome.Updated, table.OnVerifiedReply(IdInBucket(3, 2), V4((3 * 256) + 2), later, null).Outcome);

        var seen = table.AllContacts().ToDictionary(c => c.Id, c => c.LastSeen);
        var epoch = later - TimeSpan.FromMilliseconds(RoutingTable.EpochKeepMs);
        Assert.AreEqual(later, seen[IdInBucket(3, 2)]);
        Assert.AreEqual(epoch, seen[IdInBucket(3, 1)]);
        Assert.AreEqual(epoch, seen[IdInBucket(3, 3)]);
        CollectionAssert.AreEqual(new[] { IdInBucket(3, 1), IdInBucket(3, 3), IdInBucket(3, 2) }, ContactIds(table));
    }

    /// <summary>
    /// Stamps are 32-bit milliseconds since the table's epoch, so after about 24.9 days of uptime the epoch moves: stamps
    /// older than the new epoch read as the epoch (12.4 days before now, still the oldest), newer ones keep their
    /// value, and the oldest contact is still the one to ping. Checked over a year of replies.
    /// </summary>
    [TestMethod]
    public void LastSeen_MonthsOfUptime_EpochMovesAndTheOrderHolds()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4); // seen at 1..4 s
        var keep = TimeSpan.FromMilliseconds(RoutingTable.EpochKeepMs);
        var month = TimeSpan.FromDays(30);

        var now = At(1) + month;
        Assert.AreEqual(AdmitOutcome.Updated, table.OnVerifiedReply(IdInBucket(3, 3), V4((3 * 256) + 3), now, null).Outcome);
        CollectionAssert.AreEqual(new[] { IdInBucket(3, 1), IdInBucket(3, 2), IdInBucket(3, 4), IdInBucket(3, 3) }, ContactIds(table));
        var seen = table.AllContacts().ToDictionary(c => c.Id, c => c.LastSeen);
        Assert.AreEqual(now, seen[IdInBucket(3, 3)]);
        Assert.AreEqual(now - keep, seen[IdInBucket(3, 1)], "older than the new epoch: reads as the epoch");
        Assert.AreEqual(now - keep, seen[IdInBucket(3, 4)]);

        var result = table.OnVerifiedReply(IdInBucket(3, 5), V4(5), now + TimeSpan.FromSeconds(1), null);
        Assert.AreEqual(AdmitOutcome.AddedToReplacementCache, result.Outcome);
        Assert.AreEqual(IdInBucket(3, 1), result.PingCandidate?.Id, "the oldest is still pinged first");

        // Eleven more months of replies from contact 3, one a day: every stamp stays exact to the millisecond.
        for (var day = 1; day <= 330; day++)
        {
            var t = now + TimeSpan.FromDays(day) + TimeSpan.FromMilliseconds(day);
            table.OnVerifiedReply(IdInBucket(3, 3), V4((3 * 256) + 3), t, null);
            Assert.IsTrue(table.TryGet(IdInBucket(3, 3), out var contact));
            Assert.AreEqual(t, contact.LastSeen, $"day {day}");
            Assert.IsTrue(table.TryGet(IdInBucket(3, 1), out var oldest));
            Assert.IsLessThanOrEqualTo(keep + TimeSpan.FromDays(25), t - oldest.LastSeen, $"day {day}");
            Assert.IsGreaterThanOrEqualTo(keep, t - oldest.LastSeen, $"day {day}");
        }
    }

    [TestMethod]
    public void Directory_EveryAddAndRemovalPath_MatchesEntriesAndEndsEmpty()
    {
        var options = SmallOptions();
        options.MaxContactsPerSubnetPerBucket = 2;
        options.MaxContactsPerSubnetInTable = 5;
        var directory = new PeerDirectory();
        var table = new RoutingTable(Local, options, directory);
        void Check(string step) => AssertDirectoryMatches(directory, step, table);

        Fill(ref table, 3, 4);
        Check("filled");

        for (var i = 5; i <= 9; i++)
        {
            table.OnVerifiedReply(IdInBucket(3, (ulong)i), V4(100 + i), At(10 + i), null);
        }

        Assert.AreEqual(3, table.AllReplacements().Count());
        Check("replacement cache overflow");

        table.OnVerifiedReply(IdInBucket(3, 10), V4(7, 1), At(20), null);
        table.OnVerifiedReply(IdInBucket(3, 11), V4(7, 2), At(21), null);
        table.OnVerifiedReply(IdInBucket(3, 12), V4(7, 3), At(22), null);
        Check("replacement of a full subnet dropped");

        table.OnVerifiedReply(IdInBucket(3, 1), V4(999), At(30), TimeSpan.FromMilliseconds(40));
        Assert.IsTrue(table.TryGet(IdInBucket(3, 1), out var moved) && moved.Address == V4(999));
        Check("contact address change");

        table.OnVerifiedReply(IdInBucket(3, 12), V4(998), At(31), null);
        Check("replacement address change");

        Assert.IsFalse(table.OnRequestFailed(IdInBucket(3, 2), At(32)));
        Assert.IsTrue(table.OnRequestFailed(IdInBucket(3, 2), At(33)));
        Assert.IsTrue(table.TryGet(IdInBucket(3, 12), out _), "the most recent replacement was promoted");
        Check("evicted, replacement promoted");

        Assert.IsTrue(table.AllReplacements().Any(c => c.Id == IdInBucket(3, 11)));
        table.OnRequestFailed(IdInBucket(3, 11), At(34));
        Assert.IsFalse(table.AllReplacements().Any(c => c.Id == IdInBucket(3, 11)));
        Check("failing replacement dropped");

        Fill(ref table, 5, 4);
        table.OnRequestFailed(IdInBucket(5, 2), At(40));
        table.OnRequestFailed(IdInBucket(5, 2), At(41));
        var admitted = table.OnVerifiedReply(IdInBucket(5, 9), V4(1500), At(42), null);
        Assert.AreEqual(IdInBucket(5, 2), admitted.Evicted?.Id);
        Check("failed contact evicted by a newcomer");

        table.OnVerifiedReply(IdInBucket(6, 1), V4(8, 1), At(50), null);
        table.OnVerifiedReply(IdInBucket(6, 2), V4(8, 2), At(51), null);
        var rejected = table.OnVerifiedReply(IdInBucket(6, 3), V4(8, 3), At(52), null);
        Assert.AreEqual(RejectReason.SubnetLimitInBucket, rejected.Reason);
        Check("subnet limit in bucket");

        table.OnVerifiedReply(IdInBucket(7, 1), V4(8, 4), At(53), null);
        table.OnVerifiedReply(IdInBucket(8, 1), V4(8, 5), At(54), null);
        table.OnVerifiedReply(IdInBucket(9, 1), V4(8, 6), At(55), null);
        var overTable = table.OnVerifiedReply(IdInBucket(10, 1), V4(8, 7), At(56), null);
        Assert.AreEqual(RejectReason.SubnetLimitInTable, overTable.Reason);
        Check("subnet limit in table");

        var intoFull = table.OnVerifiedReply(IdInBucket(5, 1), V4(8, 8), At(57), null);
        Assert.AreEqual(AdmitOutcome.Rejected, intoFull.Outcome);
        Assert.IsFalse(table.TryGet(IdInBucket(5, 1), out _));
        Check("contact moved into a full subnet removed");

        RemoveEverything(ref table);
        Assert.AreEqual(0, table.Count);
        Assert.AreEqual(0, directory.Count, "every reference released");
    }

    [TestMethod]
    public void Directory_SharedByTwoTables_CountsReferencesFromBoth()
    {
        var directory = new PeerDirectory();
        var a = new RoutingTable(Local, SmallOptions(), directory);
        var b = new RoutingTable(IdInBucket(0, 77), SmallOptions(), directory);
        var shared = IdInBucket(20, 1);

        a.OnVerifiedReply(shared, V4(1), At(1), null);
        b.OnVerifiedReply(shared, V4(1), At(1), null);
        b.OnVerifiedReply(IdInBucket(21, 1), V4(2), At(2), null);

        Assert.AreEqual(2, directory.Count);
        Assert.IsTrue(directory.TryFind(shared, V4(1), out var handle));
        Assert.AreEqual(2, directory.ReferencesOf(handle));
        AssertDirectoryMatches(directory, "both tables", a, b);

        a.Clear();
        Assert.AreEqual(1, directory.ReferencesOf(handle));
        Assert.IsTrue(b.TryGet(shared, out var stillThere) && stillThere.Address == V4(1));
        AssertDirectoryMatches(directory, "after clearing one table", a, b);

        b.OnVerifiedReply(shared, V4(3), At(3), null);
        Assert.AreEqual(0, directory.ReferencesOf(handle), "the old pair is forgotten once its last holder moved");
        RemoveEverything(ref b);
        Assert.AreEqual(0, directory.Count);
    }

    [TestMethod]
    [DataRow(31UL)]
    [DataRow(32UL)]
    [DataRow(33UL)]
    public void Directory_RandomOperationsOnTwoTables_AlwaysMatchesEntries(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var options = SmallOptions();
        options.MaxContactsPerSubnetPerBucket = 2;
        options.MaxContactsPerSubnetInTable = 6;
        var directory = new PeerDirectory();
        var tables = new[] { new RoutingTable(Local, options, directory), new RoutingTable(IdInBucket(1, 5), options, directory) };
        for (var step = 0; step < 3000; step++)
        {
            ref var table = ref tables[rng.NextInt32(2)];
            var id = IdInBucket(rng.NextInt32(4), (ulong)rng.NextInt32(30) + 1);
            var address = V4(10, (byte)rng.NextInt32(6), (byte)rng.NextInt32(3), 1);
            var now = At(step);
            switch (rng.NextInt32(10))
            {
                case < 6:
                    table.OnVerifiedReply(id, address, now, TimeSpan.FromMilliseconds(rng.NextInt32(300)));
                    break;
                case < 9:
                    table.OnRequestFailed(id, now);
                    break;
                default:
                    table.Remove(id);
                    break;
            }

            if (step % 50 == 0)
            {
                AssertDirectoryMatches(directory, $"step {step}; seed {seed}", tables);
            }
        }

        AssertDirectoryMatches(directory, $"end; seed {seed}", tables);
        tables[0].Clear();
        RemoveEverything(ref tables[1]);
        Assert.AreEqual(0, directory.Count, $"seed {seed}");
    }

    [TestMethod]
    public void OnVerifiedReply_ThousandContactsAfterWarmUp_AllocatesNothingPerContact()
    {
        var options = new RoutingOptions { K = 20, ReplacementCacheSize = 10, MaxContactsPerSubnetPerBucket = 0, MaxContactsPerSubnetInTable = 0 };
        var directory = new PeerDirectory();
        var table = new RoutingTable(Local, options, directory);

        // Warm-up: the same buckets fill once (bucket arrays and directory grow), then empty again.
        Admit(ref table, generation: 0);
        RemoveEverything(ref table);
        Assert.AreEqual(0, directory.Count);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var admitted = Admit(ref table, generation: 1);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.AreEqual(1000, admitted);
        Assert.AreEqual(1000, table.Count);
        Assert.AreEqual(1000, directory.Count);
        Assert.IsLessThan(1000, allocated, $"admitting 1000 new contacts into grown buckets allocated {allocated} bytes");
    }

    /// <summary>50 buckets of 20 new contacts (ids and addresses differ per generation).</summary>
    private static int Admit(ref RoutingTable table, int generation)
    {
        var added = 0;
        for (var cpl = 0; cpl < 50; cpl++)
        {
            for (var i = 1; i <= 20; i++)
            {
                var n = (generation * 10_000) + (cpl * 100) + i;
                var result = table.OnVerifiedReply(IdInBucket(cpl, (ulong)n), V4(n % 60_000), At(i), TimeSpan.FromMilliseconds(20));
                added += result.Outcome == AdmitOutcome.Added ? 1 : 0;
            }
        }

        return added;
    }

    /// <summary>Removes contacts (promoting replacements) and replacements until the table is empty.</summary>
    private static void RemoveEverything(ref RoutingTable table)
    {
        while (table.AllContacts().Concat(table.AllReplacements()).Select(c => c.Id).FirstOrDefault() is var id && !id.IsZero)
        {
            Assert.IsTrue(table.Remove(id));
        }

        Assert.AreEqual(0, table.Count);
    }

    /// <summary>The directory holds exactly the pairs of the tables' entries, one reference per entry.</summary>
    private static void AssertDirectoryMatches(PeerDirectory directory, string context, params RoutingTable[] tables)
    {
        var pairs = tables.SelectMany(t => t.AllContacts().Concat(t.AllReplacements())).GroupBy(c => (c.Id, c.Address)).ToList();
        Assert.AreEqual(pairs.Count, directory.Count, context);
        foreach (var pair in pairs)
        {
            Assert.IsTrue(directory.TryFind(pair.Key.Id, pair.Key.Address, out var handle), $"{pair.Key} missing; {context}");
            Assert.AreEqual(pair.Count(), directory.ReferencesOf(handle), $"{pair.Key}; {context}");
        }
    }

    /// <summary>
    /// The simulator's warm start fills a table in bulk: the bucket array sized once, each bucket created with room for
    /// its contacts just before its first reply, and replies that pass the directory handle they hold. The table must
    /// come out exactly as from the same replies one at a time: contacts in order with their addresses, stamps, failures
    /// and RTTs, the refresh due times (drawn as each bucket is created), the count and the directory references.
    /// Split buckets and a pick that repeats a contact included; seeded.
    /// </summary>
    [TestMethod]
    [DataRow(0, 5UL)]
    [DataRow(1, 6UL)]
    public void BulkFill_ReservedWithHints_SameTableAsOneReplyAtATime(int splitBits, ulong seed)
    {
        var options = SmallOptions();
        options.BucketSplitBits = splitBits;
        var rng = new Xoshiro256(seed);
        var replies = new List<(int Slot, NodeId Id, PeerAddress Address, TimeSpan Rtt)>();
        var probe = new RoutingTable(Local, options);
        for (var cpl = 0; cpl < 12; cpl++)
        {
            for (var i = 0; i < 1 + rng.NextInt32(2 * options.K); i++)
            {
                var id = IdInBucket(cpl, rng.NextUInt64() >> 1);
                replies.Add((probe.SlotOf(id), id, V4((cpl * 256) + i), TimeSpan.FromMilliseconds(1 + rng.NextInt32(300))));
            }
        }

        replies.Add(replies[3]); // a repeated pick updates the contact
        var ordered = replies.Select((r, i) => (r, i)).OrderBy(x => x.r.Slot).ThenBy(x => x.i).Select(x => x.r).ToList();
        var now = At(7);

        var plain = new RoutingTable(Local, options, new PeerDirectory());
        foreach (var r in ordered)
        {
            plain.OnVerifiedReply(r.Id, r.Address, now, r.Rtt);
        }

        var directory = new PeerDirectory();
        var handles = ordered.Select(r => directory.Acquire(r.Id, r.Address)).ToList();
        var bulk = new RoutingTable(Local, options, directory);
        bulk.ReserveSlots(ordered[^1].Slot + 1);
        for (var i = 0; i < ordered.Count; i++)
        {
            if (i == 0 || ordered[i].Slot != ordered[i - 1].Slot)
            {
                bulk.ReserveBucket(ordered[i].Slot, ordered.Count(r => r.Slot == ordered[i].Slot), now);
            }

            bulk.OnVerifiedReply(ordered[i].Id, ordered[i].Address, now, ordered[i].Rtt, handles[i]);
        }

        foreach (var handle in handles)
        {
            directory.Release(handle);
        }

        static string Describe(RoutingTable table) => string.Join("\n", table.AllContacts().Select(c =>
            $"{c} rtt {c.Rtt.Srtt} due {table.RefreshDueAt(c.Id)}"));
        Assert.IsGreaterThan(options.K * 4, plain.Count, $"seed {seed}");
        Assert.AreEqual(Describe(plain), Describe(bulk), $"seed {seed}");
        Assert.AreEqual(plain.Count, bulk.Count, $"seed {seed}");
        Assert.AreEqual(plain.Directory.Count, directory.Count, $"seed {seed}");
        foreach (var c in bulk.AllContacts())
        {
            Assert.IsTrue(directory.TryFind(c.Id, c.Address, out var handle), $"seed {seed}");
            Assert.AreEqual(1, directory.ReferencesOf(handle), $"one reference per contact; seed {seed}");
        }
    }
}
