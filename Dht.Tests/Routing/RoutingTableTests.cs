using Dht.Routing;
using static Dht.Tests.Routing.RoutingFixtures;

namespace Dht.Tests.Routing;

[TestClass]
public sealed class RoutingTableTests
{
    [TestMethod]
    public void OnVerifiedReply_NewContacts_KeptLeastRecentlySeenFirst()
    {
        var table = SmallTable();

        Fill(ref table, 3, 4);

        CollectionAssert.AreEqual(new[] { IdInBucket(3, 1), IdInBucket(3, 2), IdInBucket(3, 3), IdInBucket(3, 4) }, ContactIds(table));
        Assert.AreEqual(4, table.Count);
    }

    [TestMethod]
    public void OnVerifiedReply_KnownContact_MovesToTailAndUpdates()
    {
        var table = SmallTable();
        Fill(ref table, 3, 3);
        table.OnRequestFailed(IdInBucket(3, 1), At(5));

        var result = table.OnVerifiedReply(IdInBucket(3, 1), V4(999), At(10), TimeSpan.FromMilliseconds(80));

        Assert.AreEqual(AdmitOutcome.Updated, result.Outcome);
        CollectionAssert.AreEqual(new[] { IdInBucket(3, 2), IdInBucket(3, 3), IdInBucket(3, 1) }, ContactIds(table));
        Assert.IsTrue(table.TryGet(IdInBucket(3, 1), out var contact));
        Assert.AreEqual(V4(999), contact.Address);
        Assert.AreEqual(At(10), contact.LastSeen);
        Assert.AreEqual(0, contact.FailedRequests);
        Assert.AreEqual(TimeSpan.FromMilliseconds(80), contact.Rtt.Srtt);
        Assert.AreEqual(3, table.Count);
    }

    [TestMethod]
    public void IdsSharingTheScanTag_AreStillToldApart()
    {
        // Bucket scans compare a 16-bit tag (the id's last bits) before reading the full id: ids 1, 1 + 2^16, ... share it.
        var table = SmallTable();
        NodeId Same(int i) => IdInBucket(3, 1 + ((ulong)i << 16));
        Assert.AreEqual(Same(0).Tag, Same(3).Tag);
        for (var i = 0; i < 5; i++)
        {
            table.OnVerifiedReply(Same(i), V4(100 + i), At(1 + i), null); // four contacts, the fifth a replacement
        }

        Assert.IsFalse(table.OnRequestFailed(Same(2), At(10)), "one failure of two does not evict");
        Assert.AreEqual(AdmitOutcome.Updated, table.OnVerifiedReply(Same(3), V4(999), At(11), null).Outcome);

        for (var i = 0; i < 4; i++)
        {
            Assert.IsTrue(table.TryGet(Same(i), out var contact), $"contact {i}");
            Assert.AreEqual(Same(i), contact.Id);
            Assert.AreEqual(i == 3 ? V4(999) : V4(100 + i), contact.Address, $"contact {i}");
            Assert.AreEqual(i == 2 ? 1 : 0, contact.FailedRequests, $"contact {i}");
        }

        Assert.IsFalse(table.TryGet(Same(4), out _));
        CollectionAssert.AreEqual(new[] { Same(4) }, table.AllReplacements().Select(c => c.Id).ToList());
        CollectionAssert.AreEqual(new[] { Same(0), Same(1), Same(2), Same(3) }, ContactIds(table));
    }

    [TestMethod]
    public void OnVerifiedReply_FullBucketOldestIdle_AddsToReplacementCacheAndAsksToPingOldest()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4);

        var result = table.OnVerifiedReply(IdInBucket(3, 5), V4(5), At(100), null);

        Assert.AreEqual(AdmitOutcome.AddedToReplacementCache, result.Outcome);
        Assert.AreEqual(IdInBucket(3, 1), result.PingCandidate?.Id);
        Assert.IsFalse(table.TryGet(IdInBucket(3, 5), out _));
        CollectionAssert.AreEqual(new[] { IdInBucket(3, 5) }, table.AllReplacements().Select(c => c.Id).ToList());
        Assert.AreEqual(4, table.Count);
    }

    [TestMethod]
    public void OnVerifiedReply_FullBucketOldestRecentlySeen_NoPingCandidate()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4);

        var result = table.OnVerifiedReply(IdInBucket(3, 5), V4(5), At(30), null);

        Assert.AreEqual(AdmitOutcome.AddedToReplacementCache, result.Outcome);
        Assert.IsNull(result.PingCandidate);
    }

    [TestMethod]
    public void OnRequestFailed_OldestReachesMaxFailures_EvictedAndMostRecentReplacementPromoted()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4);
        table.OnVerifiedReply(IdInBucket(3, 5), V4(5), At(100), null);
        table.OnVerifiedReply(IdInBucket(3, 6), V4(6), At(101), null);

        var first = table.OnRequestFailed(IdInBucket(3, 1), At(102));
        var second = table.OnRequestFailed(IdInBucket(3, 1), At(103));

        Assert.IsFalse(first);
        Assert.IsTrue(second);
        Assert.IsFalse(table.TryGet(IdInBucket(3, 1), out _));
        CollectionAssert.AreEqual(new[] { IdInBucket(3, 2), IdInBucket(3, 3), IdInBucket(3, 4), IdInBucket(3, 6) }, ContactIds(table));
        CollectionAssert.AreEqual(new[] { IdInBucket(3, 5) }, table.AllReplacements().Select(c => c.Id).ToList());
        Assert.AreEqual(4, table.Count);
    }

    [TestMethod]
    public void OnRequestFailed_NoReplacement_ContactKeptStale()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4);

        for (var i = 0; i < 5; i++)
        {
            Assert.IsFalse(table.OnRequestFailed(IdInBucket(3, 1), At(100 + i)));
        }

        Assert.IsTrue(table.TryGet(IdInBucket(3, 1), out var contact));
        Assert.IsTrue(contact.IsStale);
        Assert.AreEqual(5, contact.FailedRequests);
        Assert.AreEqual(4, table.Count);
    }

    [TestMethod]
    public void OnVerifiedReply_FullBucketWithFailedContact_ReplacesIt()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4);
        table.OnRequestFailed(IdInBucket(3, 2), At(10));
        table.OnRequestFailed(IdInBucket(3, 2), At(11));

        var result = table.OnVerifiedReply(IdInBucket(3, 5), V4(5), At(12), null);

        Assert.AreEqual(AdmitOutcome.Added, result.Outcome);
        Assert.AreEqual(IdInBucket(3, 2), result.Evicted?.Id);
        CollectionAssert.AreEqual(new[] { IdInBucket(3, 1), IdInBucket(3, 3), IdInBucket(3, 4), IdInBucket(3, 5) }, ContactIds(table));
    }

    [TestMethod]
    public void OnVerifiedReply_ReplacementCacheFull_KeepsMostRecent()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4);

        for (var i = 5; i <= 10; i++)
        {
            table.OnVerifiedReply(IdInBucket(3, (ulong)i), V4(i), At(i), null);
        }

        table.OnVerifiedReply(IdInBucket(3, 8), V4(8), At(20), null);

        CollectionAssert.AreEqual(new[] { IdInBucket(3, 9), IdInBucket(3, 10), IdInBucket(3, 8) }, table.AllReplacements().Select(c => c.Id).ToList());
    }

    [TestMethod]
    public void OnVerifiedReply_NoReplacementCache_RejectedBucketFullWithPing()
    {
        var options = SmallOptions();
        options.ReplacementCacheSize = 0;
        var table = new RoutingTable(Local, options);
        Fill(ref table, 3, 4);

        var result = table.OnVerifiedReply(IdInBucket(3, 5), V4(5), At(100), null);

        Assert.AreEqual(AdmitOutcome.Rejected, result.Outcome);
        Assert.AreEqual(RejectReason.BucketFull, result.Reason);
        Assert.AreEqual(IdInBucket(3, 1), result.PingCandidate?.Id);
    }

    [TestMethod]
    public void OnVerifiedReply_LocalZeroOrUnspecified_Rejected()
    {
        var table = SmallTable();

        Assert.AreEqual(RejectReason.LocalId, table.OnVerifiedReply(Local, V4(1), At(1), null).Reason);
        Assert.AreEqual(RejectReason.ZeroId, table.OnVerifiedReply(default, V4(1), At(1), null).Reason);
        Assert.AreEqual(RejectReason.InvalidAddress, table.OnVerifiedReply(IdInBucket(0, 1), V4(0, 0, 0, 0), At(1), null).Reason);
        Assert.AreEqual(0, table.Count);
        Assert.IsFalse(table.ShouldVerify(Local));
        Assert.IsFalse(table.ShouldVerify(default));
    }

    [TestMethod]
    public void ShouldVerify_BucketStates_TrueOnlyForUnknownWithRoomOrStale()
    {
        var table = SmallTable();

        Assert.IsTrue(table.ShouldVerify(IdInBucket(3, 1)));
        Fill(ref table, 3, 4);
        Assert.IsFalse(table.ShouldVerify(IdInBucket(3, 1)));
        Assert.IsFalse(table.ShouldVerify(IdInBucket(3, 9)));
        table.OnRequestFailed(IdInBucket(3, 2), At(10));
        Assert.IsTrue(table.ShouldVerify(IdInBucket(3, 9)));
        Assert.IsTrue(table.ShouldVerify(IdInBucket(4, 1)));
    }

    [TestMethod]
    public void Remove_ContactWithReplacement_PromotesReplacement()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4);
        table.OnVerifiedReply(IdInBucket(3, 5), V4(5), At(100), null);

        Assert.IsTrue(table.Remove(IdInBucket(3, 4)));
        Assert.IsFalse(table.Remove(IdInBucket(3, 4)));

        CollectionAssert.AreEqual(new[] { IdInBucket(3, 1), IdInBucket(3, 2), IdInBucket(3, 3), IdInBucket(3, 5) }, ContactIds(table));
        Assert.AreEqual(4, table.Count);
        Assert.IsFalse(table.AllReplacements().Any());
    }

    [TestMethod]
    public void OnVerifiedReply_SubnetFullInBucket_Rejected()
    {
        var options = SmallOptions();
        options.MaxContactsPerSubnetPerBucket = 2;
        var table = new RoutingTable(Local, options);

        table.OnVerifiedReply(IdInBucket(3, 1), V4(7, 1), At(1), null);
        table.OnVerifiedReply(IdInBucket(3, 2), V4(7, 2), At(2), null);
        var third = table.OnVerifiedReply(IdInBucket(3, 3), V4(7, 3), At(3), null);
        var otherBucket = table.OnVerifiedReply(IdInBucket(4, 1), V4(7, 4), At(4), null);
        var otherSubnet = table.OnVerifiedReply(IdInBucket(3, 4), V4(8, 1), At(5), null);

        Assert.AreEqual(RejectReason.SubnetLimitInBucket, third.Reason);
        Assert.AreEqual(AdmitOutcome.Added, otherBucket.Outcome);
        Assert.AreEqual(AdmitOutcome.Added, otherSubnet.Outcome);
        Assert.AreEqual(4, table.Count);
    }

    [TestMethod]
    public void OnVerifiedReply_SubnetFullInTable_Rejected()
    {
        var options = SmallOptions();
        options.MaxContactsPerSubnetInTable = 3;
        var table = new RoutingTable(Local, options);

        for (var i = 0; i < 3; i++)
        {
            Assert.AreEqual(AdmitOutcome.Added, table.OnVerifiedReply(IdInBucket(i, 1), V4(7, (byte)(i + 1)), At(i), null).Outcome);
        }

        var fourth = table.OnVerifiedReply(IdInBucket(5, 1), V4(7, 200), At(5), null);

        Assert.AreEqual(RejectReason.SubnetLimitInTable, fourth.Reason);
        Assert.AreEqual(3, table.Count);
    }

    [TestMethod]
    public void OnVerifiedReply_Ipv6SameSlash64_CountsAsOneSubnet()
    {
        var options = SmallOptions();
        options.MaxContactsPerSubnetPerBucket = 1;
        var table = new RoutingTable(Local, options);

        var first = table.OnVerifiedReply(IdInBucket(3, 1), V6(0x20010db800000001, 1), At(1), null);
        var sameSlash64 = table.OnVerifiedReply(IdInBucket(3, 2), V6(0x20010db800000001, 2), At(2), null);
        var otherSlash64 = table.OnVerifiedReply(IdInBucket(3, 3), V6(0x20010db800000002, 1), At(3), null);

        Assert.AreEqual(AdmitOutcome.Added, first.Outcome);
        Assert.AreEqual(RejectReason.SubnetLimitInBucket, sameSlash64.Reason);
        Assert.AreEqual(AdmitOutcome.Added, otherSlash64.Outcome);
    }

    [TestMethod]
    public void OnVerifiedReply_LoopbackAddresses_ExemptFromSubnetLimits()
    {
        var options = SmallOptions();
        options.MaxContactsPerSubnetPerBucket = 1;
        options.MaxContactsPerSubnetInTable = 1;
        var table = new RoutingTable(Local, options);

        for (var i = 1; i <= 4; i++)
        {
            var v4 = table.OnVerifiedReply(IdInBucket(3, (ulong)i), V4(127, 0, 0, 1), At(i), null);
            var v6 = table.OnVerifiedReply(IdInBucket(4, (ulong)i), V6(0, 1), At(i), null);
            Assert.AreEqual(AdmitOutcome.Added, v4.Outcome);
            Assert.AreEqual(AdmitOutcome.Added, v6.Outcome);
        }

        Assert.AreEqual(8, table.Count);
    }

    [TestMethod]
    public void OnVerifiedReply_KnownContactMovesIntoFullSubnet_RemovedAndRejected()
    {
        var options = SmallOptions();
        options.MaxContactsPerSubnetPerBucket = 1;
        var table = new RoutingTable(Local, options);
        table.OnVerifiedReply(IdInBucket(3, 1), V4(7, 1), At(1), null);
        table.OnVerifiedReply(IdInBucket(3, 2), V4(8, 1), At(2), null);

        var sameSubnetMove = table.OnVerifiedReply(IdInBucket(3, 1), V4(7, 9), At(3), null);
        var moveIntoFull = table.OnVerifiedReply(IdInBucket(3, 2), V4(7, 2), At(4), null);

        Assert.AreEqual(AdmitOutcome.Updated, sameSubnetMove.Outcome);
        Assert.AreEqual(RejectReason.SubnetLimitInBucket, moveIntoFull.Reason);
        Assert.IsFalse(table.TryGet(IdInBucket(3, 2), out _));
        Assert.AreEqual(1, table.Count);
    }

    [TestMethod]
    public void AllContacts_SeveralBuckets_BucketIndexThenBucketOrder()
    {
        var table = SmallTable();
        table.OnVerifiedReply(IdInBucket(5, 1), V4(1), At(1), null);
        table.OnVerifiedReply(IdInBucket(0, 1), V4(2), At(2), null);
        table.OnVerifiedReply(IdInBucket(5, 2), V4(3), At(3), null);
        table.OnVerifiedReply(IdInBucket(0, 2), V4(4), At(4), null);
        table.OnVerifiedReply(IdInBucket(5, 1), V4(1), At(5), null);

        CollectionAssert.AreEqual(new[] { IdInBucket(0, 1), IdInBucket(0, 2), IdInBucket(5, 2), IdInBucket(5, 1) }, ContactIds(table));
    }

    [TestMethod]
    public void OnVerifiedReply_ReplacementsOfOneSubnet_CappedPerBucketLimit()
    {
        var options = SmallOptions();
        options.MaxContactsPerSubnetPerBucket = 2;
        var table = new RoutingTable(Local, options);
        Fill(ref table, 3, 4);

        table.OnVerifiedReply(IdInBucket(3, 5), V4(7, 1), At(10), null);
        table.OnVerifiedReply(IdInBucket(3, 6), V4(7, 2), At(11), null);
        table.OnVerifiedReply(IdInBucket(3, 7), V4(8, 1), At(12), null);
        table.OnVerifiedReply(IdInBucket(3, 8), V4(7, 3), At(13), null);

        CollectionAssert.AreEqual(new[] { IdInBucket(3, 6), IdInBucket(3, 7), IdInBucket(3, 8) }, table.AllReplacements().Select(c => c.Id).ToList());
    }

    [TestMethod]
    public void Remove_ReplacementOverTableSubnetLimit_NotPromoted()
    {
        var options = SmallOptions();
        options.K = 2;
        options.MaxContactsPerSubnetInTable = 2;
        var table = new RoutingTable(Local, options);
        table.OnVerifiedReply(IdInBucket(3, 1), V4(7, 1), At(1), null);
        table.OnVerifiedReply(IdInBucket(3, 2), V4(8, 1), At(2), null);
        table.OnVerifiedReply(IdInBucket(4, 1), V4(7, 2), At(3), null);
        var cached = table.OnVerifiedReply(IdInBucket(3, 3), V4(7, 3), At(4), null);

        table.Remove(IdInBucket(3, 2));

        Assert.AreEqual(AdmitOutcome.AddedToReplacementCache, cached.Outcome);
        Assert.AreEqual(2, table.Count);
        Assert.IsFalse(table.TryGet(IdInBucket(3, 3), out _));
        CollectionAssert.AreEqual(new[] { IdInBucket(3, 3) }, table.AllReplacements().Select(c => c.Id).ToList());
    }

    [TestMethod]
    public void OnRequestFailed_Replacement_DroppedFromCache()
    {
        var table = SmallTable();
        Fill(ref table, 3, 4);
        table.OnVerifiedReply(IdInBucket(3, 5), V4(5), At(10), null);

        var evicted = table.OnRequestFailed(IdInBucket(3, 5), At(11));

        Assert.IsFalse(evicted);
        Assert.IsFalse(table.AllReplacements().Any());
        Assert.AreEqual(4, table.Count);
    }
}
