using System.Buffers.Binary;
using Dht.Lookup;
using Dht.Protocol;
using Dht.Wire;

namespace Dht.Tests.Lookup;

/// <summary>
/// The lookup state machine on its own: alpha bound, XOR order, what it ignores, the candidate bound, when it is
/// finished, and a whole lookup over a static network of 2,000 ids.
/// </summary>
[TestClass]
public sealed class IterativeLookupTests
{
    /// <summary>Target zero: a candidate's distance is its id, so small ids are close.</summary>
    private static readonly NodeId Target = default;

    private static readonly NodeId Self = new(ulong.MaxValue, 0, 0, 1);

    private static NodeId Id(ulong distance) => new(0, 0, 0, distance);

    private static PeerAddress Address(int i) => PeerAddress.FromIPv4([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i], 4000);

    private static IterativeLookup NewLookup(int k, int alpha, int maxCandidates, params ulong[] distances)
    {
        var lookup = new IterativeLookup(Target, Self, k, alpha, maxCandidates);
        foreach (var d in distances)
        {
            lookup.AddCandidate(Id(d), Address((int)d));
        }

        return lookup;
    }

    /// <summary>The candidates' distances (their ids' low 64 bits, as the high bits are zero), in list order.</summary>
    private static ulong[] Distances(IterativeLookup lookup) =>
        [.. lookup.Candidates.ToArray().Select(c => BinaryPrimitives.ReadUInt64BigEndian(lookup.DistanceOf(c).ToArray().AsSpan(24)))];

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    [DataRow(5)]
    public void TryGetNext_AlphaInFlight_NullUntilOneCompletes(int alpha)
    {
        var lookup = NewLookup(20, alpha, 200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        var sent = new List<LookupCandidate>();
        while (lookup.TryGetNext() is { } c)
        {
            sent.Add(c);
        }

        Assert.HasCount(alpha, sent, $"alpha {alpha}");
        Assert.AreEqual(alpha, lookup.InFlight);
        CollectionAssert.AreEqual(Enumerable.Range(1, alpha).Select(i => Id((ulong)i)).ToList(), sent.Select(c => c.Id).ToList(), "closest first");
        Assert.IsTrue(sent.All(c => c.State == CandidateState.InFlight));

        lookup.OnSuccess(sent[0]);
        var next = lookup.TryGetNext();
        Assert.IsNotNull(next);
        Assert.AreEqual(Id((ulong)alpha + 1), next!.Value.Id);
        Assert.AreEqual(0, next!.Value.DiscoveredRound, "known at the start");
        Assert.AreEqual(1, next!.Value.QueryRound);
        Assert.IsNull(lookup.TryGetNext(), "alpha in flight again");
        Assert.AreEqual(alpha + 1, lookup.RequestsSent);
    }

    [TestMethod]
    public void HintSearch_EmptyGrowingAndReleased_ReadsNothingOutsideTheCandidates()
    {
        // An answer hints its lookup's search positions even after the operation finished and gave its array back.
        var lookup = NewLookup(20, 3, 200);
        lookup.HintSearch();
        for (var d = 1UL; d <= 170; d++)
        {
            lookup.AddCandidate(Id(d), Address((int)d));
            lookup.HintSearch();
        }

        Assert.HasCount(170, lookup.Candidates.ToArray());
        lookup.Release();
        lookup.HintSearch();
        Assert.IsEmpty(lookup.Candidates.ToArray());
    }

    [TestMethod]
    [DataRow(101UL)]
    [DataRow(102UL)]
    public void AddCandidate_RandomOrder_SortedByXorDistance(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var target = rng.NextNodeId();
        var lookup = new IterativeLookup(target, Self, 20, 3, 500);
        var ids = Enumerable.Range(0, 300).Select(_ => rng.NextNodeId()).ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            lookup.AddCandidate(ids[i], Address(i + 1));
        }

        Assert.HasCount(ids.Count, lookup.Candidates.ToArray(), $"seed {seed}");
        var expected = ids.OrderBy(id => id.Xor(target)).ToList();
        CollectionAssert.AreEqual(expected, lookup.Candidates.ToArray().Select(c => c.Id).ToList(), $"seed {seed}");
        Assert.IsTrue(lookup.Candidates.ToArray().All(c => lookup.DistanceOf(c) == c.Id.Xor(target)), $"seed {seed}");
    }

    [TestMethod]
    [DataRow(201UL, 500)]
    [DataRow(202UL, 500)]
    [DataRow(203UL, 30)]
    public void AddCandidate_DistancesSharingTheirFirst64Bits_SortedFoundAndDeduplicated(ulong seed, int maxCandidates)
    {
        // Every distance starts with one of three 64-bit values, so the order, the duplicates and the searches all rest
        // on the distances' later words (a search or a sort that looked at the first word alone would go wrong here).
        var rng = new Xoshiro256(seed);
        var target = rng.NextNodeId();
        var lookup = new IterativeLookup(target, Self, 20, 3, maxCandidates);
        ulong[] prefixes = [rng.NextUInt64() >> 1, rng.NextUInt64() >> 1, rng.NextUInt64() >> 1];
        var distances = Enumerable.Range(0, 150)
            .Select(i => new NodeId(prefixes[i % 3], rng.NextUInt64() % 8, rng.NextUInt64(), rng.NextUInt64()))
            .Distinct()
            .ToList();
        for (var i = 0; i < distances.Count; i++)
        {
            lookup.AddCandidate(distances[i].Xor(target), Address(i + 1));
        }

        for (var i = distances.Count - 1; i >= 0; i--)
        {
            lookup.AddCandidate(distances[i].Xor(target), Address(i + 1)); // all known: nothing changes
        }

        var expected = distances.Order().Take(maxCandidates).Select(d => d.Xor(target)).ToList();
        CollectionAssert.AreEqual(expected, lookup.Candidates.ToArray().Select(c => c.Id).ToList(), $"seed {seed}");
        foreach (var id in expected)
        {
            Assert.AreEqual(id, lookup.Find(id)?.Id, $"seed {seed}");
        }

        // Absent, with first 64 bits shared by many candidates (the second word of every distance above is below 8).
        Assert.IsNull(lookup.Find(new NodeId(prefixes[0], 9, 0, 0).Xor(target)), $"seed {seed}");
        Assert.IsNull(lookup.Find(new NodeId(prefixes[1], 0, 0, 0).Xor(target)), $"seed {seed}");

        // Each one found again by its id when it answers.
        var answered = 0;
        while (lookup.TryGetNext() is { } next)
        {
            lookup.OnSuccess(next);
            answered++;
        }

        Assert.AreEqual(answered, lookup.Succeeded, $"seed {seed}");
        Assert.AreEqual(0, lookup.InFlight, $"seed {seed}");
    }

    [TestMethod]
    public void AddCandidate_DuplicateSelfZeroOrUnspecifiedAddress_Ignored()
    {
        var lookup = NewLookup(20, 3, 200, 5);
        lookup.AddCandidate(Id(5), Address(99)); // duplicate id, other address: first one kept
        lookup.AddCandidate(Self, Address(1));
        lookup.AddCandidate(default, Address(2));
        lookup.AddCandidate(Id(6), PeerAddress.FromIPv4([0, 0, 0, 0], 4000));
        lookup.AddCandidate(Id(7), PeerAddress.FromIPv4([10, 0, 0, 7], 0));
        lookup.AddCandidate(Id(5), Address(5));
        lookup.AddCandidate(Self, Address(3));

        Assert.HasCount(1, lookup.Candidates.ToArray());
        Assert.AreEqual(Id(5), lookup.Candidates[0].Id);
        Assert.AreEqual(Address(5), lookup.Candidates[0].Address);
    }

    [TestMethod]
    public void AddCandidate_Full_OnlyCloserReplacesFarthestNotContacted()
    {
        var lookup = NewLookup(2, 1, 4, 40);
        var contacted = lookup.TryGetNext();
        Assert.AreEqual(Id(40), contacted!.Value.Id);
        foreach (var d in new ulong[] { 10, 20, 30 })
        {
            lookup.AddCandidate(Id(d), Address((int)d));
        }

        CollectionAssert.AreEqual(new ulong[] { 10, 20, 30, 40 }, Distances(lookup));

        lookup.AddCandidate(Id(35), Address(35)); // farther than every not-contacted one: stays out
        CollectionAssert.AreEqual(new ulong[] { 10, 20, 30, 40 }, Distances(lookup));
        lookup.AddCandidate(Id(50), Address(50));
        CollectionAssert.AreEqual(new ulong[] { 10, 20, 30, 40 }, Distances(lookup));

        lookup.AddCandidate(Id(15), Address(15)); // replaces 30, the farthest not contacted; 40 (in flight) stays
        CollectionAssert.AreEqual(new ulong[] { 10, 15, 20, 40 }, Distances(lookup));
        lookup.AddCandidate(Id(5), Address(5));
        CollectionAssert.AreEqual(new ulong[] { 5, 10, 15, 40 }, Distances(lookup));
        lookup.AddCandidate(Id(12), Address(12)); // between not-contacted ones: replaces 15
        CollectionAssert.AreEqual(new ulong[] { 5, 10, 12, 40 }, Distances(lookup));
        Assert.AreEqual(CandidateState.InFlight, lookup.Candidates[3].State);
    }

    [TestMethod]
    public void AddCandidate_FullAndAllContacted_NothingGetsIn()
    {
        var lookup = NewLookup(4, 4, 4, 10, 20, 30, 40);
        while (lookup.TryGetNext() is not null)
        {
        }

        lookup.AddCandidate(Id(1), Address(1));
        CollectionAssert.AreEqual(new ulong[] { 10, 20, 30, 40 }, Distances(lookup));
    }

    [TestMethod]
    public void AddCandidate_MaxBelowK_KIsTheBound()
    {
        var lookup = NewLookup(5, 3, 2, 1, 2, 3, 4, 5, 6, 7);
        CollectionAssert.AreEqual(new ulong[] { 1, 2, 3, 4, 5 }, Distances(lookup));
    }

    [TestMethod]
    public void IsFinished_KClosestAnswered_TrueWithFartherNotContacted()
    {
        var lookup = NewLookup(3, 3, 200, 1, 2, 3, 4, 5, 6);
        Assert.IsFalse(lookup.IsFinished);
        var sent = new[] { lookup.TryGetNext()!.Value, lookup.TryGetNext()!.Value, lookup.TryGetNext()!.Value };
        lookup.OnSuccess(sent[0]);
        lookup.OnSuccess(sent[1]);
        Assert.IsFalse(lookup.IsFinished, "one of the k closest still in flight");
        Assert.IsNull(lookup.TryGetNext(), "2 answered + 1 in flight = k: nothing more to send");
        lookup.OnSuccess(sent[2]);
        Assert.IsTrue(lookup.IsFinished);
        Assert.IsNull(lookup.TryGetNext());
        Assert.AreEqual(3, lookup.Succeeded);
        CollectionAssert.AreEqual(new[] { Id(1), Id(2), Id(3) }, lookup.ClosestSucceeded(10).Select(c => c.Id).ToList());
        CollectionAssert.AreEqual(new[] { Id(1), Id(2), Id(3) }, lookup.ClosestSucceededIds(10));
    }

    [TestMethod]
    public void IsFinished_CloserCandidateArrivesLate_FalseUntilItAnswers()
    {
        var lookup = NewLookup(2, 2, 200, 10, 20);
        var a = lookup.TryGetNext()!.Value;
        var b = lookup.TryGetNext()!.Value;
        lookup.OnSuccess(a);
        lookup.OnSuccess(b);
        Assert.IsTrue(lookup.IsFinished);
        lookup.AddCandidate(Id(5), Address(5));
        Assert.IsFalse(lookup.IsFinished, "a closer, uncontacted candidate reopens the lookup");
        var c = lookup.TryGetNext();
        Assert.AreEqual(Id(5), c!.Value.Id);
        lookup.OnSuccess(c!.Value);
        Assert.IsTrue(lookup.IsFinished);
    }

    [TestMethod]
    public void OnFailure_OneOfKClosest_NextCandidateLetIn()
    {
        var lookup = NewLookup(3, 3, 200, 1, 2, 3, 4, 5, 6);
        var sent = new[] { lookup.TryGetNext()!.Value, lookup.TryGetNext()!.Value, lookup.TryGetNext()!.Value };
        lookup.OnFailure(sent[0]);
        Assert.AreEqual(CandidateState.Failed, lookup.Find(sent[0].Id)!.Value.State);
        Assert.AreEqual(2, lookup.InFlight);
        var next = lookup.TryGetNext();
        Assert.AreEqual(Id(4), next!.Value.Id);
        lookup.OnSuccess(sent[1]);
        lookup.OnSuccess(sent[2]);
        Assert.IsFalse(lookup.IsFinished, "the 4th is now among the k closest non-failed and has not answered");
        lookup.OnSuccess(next!.Value);
        Assert.IsTrue(lookup.IsFinished);
        CollectionAssert.AreEqual(new[] { Id(2), Id(3), Id(4) }, lookup.ClosestSucceeded(3).Select(c => c.Id).ToList());
        CollectionAssert.AreEqual(new[] { Id(2), Id(3), Id(4) }, lookup.ClosestSucceededIds(3));

        lookup.OnFailure(sent[1]); // a late failure after success changes nothing
        Assert.AreEqual(CandidateState.Succeeded, lookup.Find(sent[1].Id)!.Value.State);
        Assert.AreEqual(0, lookup.InFlight);
    }

    [TestMethod]
    public void IsFinished_AllFailed_TrueWithNothingLeft()
    {
        var lookup = NewLookup(3, 2, 200, 1, 2, 3);
        while (lookup.TryGetNext() is { } c)
        {
            lookup.OnFailure(c);
        }

        Assert.IsTrue(lookup.IsFinished);
        Assert.AreEqual(3, lookup.RequestsSent);
        Assert.IsEmpty(lookup.ClosestSucceeded(3));
        Assert.IsEmpty(lookup.ClosestSucceededIds(3));
    }

    [TestMethod]
    [DataRow(201UL, 20, 3)]
    [DataRow(202UL, 20, 3)]
    [DataRow(203UL, 8, 1)]
    [DataRow(204UL, 16, 5)]
    public void Lookup_StaticNetworkGlobalKnowledge_ConvergesOnTrueKClosest(ulong seed, int k, int alpha)
    {
        const int size = 2000;
        var rng = new Xoshiro256(seed);
        var ids = Enumerable.Range(0, size).Select(_ => rng.NextNodeId()).ToList();
        var self = ids[0];
        var target = rng.NextNodeId();
        var addressOf = new Dictionary<NodeId, PeerAddress>();
        for (var i = 0; i < size; i++)
        {
            addressOf[ids[i]] = Address(i + 1);
        }

        var trueClosest = ids.OrderBy(id => id.Xor(target)).ToList();
        var expected = trueClosest.Where(id => id != self).Take(k).ToList();
        var answer = trueClosest.Take(k).Select(id => new WireContact(id, addressOf[id])).ToList();

        var lookup = new IterativeLookup(target, self, k, alpha, 200);
        for (var i = 0; i < k; i++)
        {
            var start = ids[1 + rng.NextInt32(size - 1)];
            lookup.AddCandidate(start, addressOf[start]);
        }

        // Requests are answered in the order sent, one at a time; every node answers with its true k closest.
        var inFlight = new Queue<LookupCandidate>();
        while (!lookup.IsFinished)
        {
            while (lookup.TryGetNext() is { } c)
            {
                inFlight.Enqueue(c);
            }

            Assert.IsLessThanOrEqualTo(alpha, lookup.InFlight, $"seed {seed}");
            Assert.IsNotEmpty(inFlight, $"stalled; seed {seed}");
            var asked = inFlight.Dequeue();
            lookup.OnSuccess(asked);
            lookup.AddCandidates(answer, asked);
        }

        var found = lookup.ClosestSucceeded(k).Select(c => c.Id).ToList();
        CollectionAssert.AreEqual(expected, found, $"{lookup.RequestsSent} requests; seed {seed}");
        Assert.IsLessThanOrEqualTo(k + (2 * alpha) + k, lookup.RequestsSent, $"seed {seed}");
    }

    [TestMethod]
    public void AddCandidates_FromResponder_LearnedInTheResponderQueryRound()
    {
        var lookup = NewLookup(20, 3, 200, 1);
        var first = lookup.TryGetNext()!.Value;
        Assert.AreEqual(1, first.QueryRound);
        lookup.OnSuccess(first);
        lookup.AddCandidates([new WireContact(Id(50), Address(50))], first);
        var learned = lookup.Find(Id(50))!.Value;
        Assert.AreEqual(1, learned.DiscoveredRound);
        Assert.AreEqual(2, learned.QueryRound);
        Assert.AreEqual(1, lookup.Rounds);
    }

    [TestMethod]
    public void HasUnansweredCloserThan_TracksTheClosestCandidates()
    {
        var lookup = NewLookup(20, 3, 200, 1, 2, 3);
        var farthest = lookup.DistanceOf(lookup.Find(Id(3))!.Value);
        Assert.IsTrue(lookup.HasUnansweredCloserThan(farthest), "1 and 2 not asked yet");
        var a = lookup.TryGetNext()!.Value;
        var b = lookup.TryGetNext()!.Value;
        lookup.OnSuccess(a);
        Assert.IsTrue(lookup.HasUnansweredCloserThan(farthest), "2 still in flight");
        lookup.OnFailure(b);
        Assert.IsFalse(lookup.HasUnansweredCloserThan(farthest), "a failure counts as answered");
        Assert.IsFalse(lookup.HasUnansweredCloserThan(lookup.DistanceOf(lookup.Find(Id(1))!.Value)), "nothing closer than the closest");
    }

    [TestMethod]
    public void OnSlow_FreesTheAlphaSlotAndLateAnswerStillCounts()
    {
        var lookup = NewLookup(2, 1, 200, 1, 2, 3);
        var first = lookup.TryGetNext()!.Value;
        Assert.IsNull(lookup.TryGetNext(), "alpha 1 in flight");
        lookup.OnSlow(first);
        Assert.AreEqual(CandidateState.Slow, lookup.Find(first.Id)!.Value.State);
        Assert.AreEqual(0, lookup.InFlight);
        var second = lookup.TryGetNext()!.Value;
        Assert.AreEqual(Id(2), second.Id, "the slot went to the next candidate");
        lookup.OnSuccess(second);
        var third = lookup.TryGetNext()!.Value;
        lookup.OnSuccess(third);
        Assert.IsTrue(lookup.IsFinished, "a slow node does not hold a place among the k closest");
        lookup.OnSuccess(first);
        Assert.AreEqual(CandidateState.Succeeded, lookup.Find(first.Id)!.Value.State, "a late answer still counts");
        Assert.AreEqual(3, lookup.Succeeded);
        Assert.AreEqual(0, lookup.InFlight);
    }
    [TestMethod]
    public void TryGetNext_LikelyReplicas_MayExceedAlphaByTheExtra()
    {
        // Distances 1..4 are inside the radius (likely replicas), 100.. are not.
        var lookup = NewLookup(20, 2, 200, 1, 2, 3, 4, 100, 101);
        lookup.NearRadius = Id(4);
        lookup.NearExtraParallelism = 1;
        var sent = new List<NodeId>();
        while (lookup.TryGetNext() is { } c)
        {
            sent.Add(c.Id);
        }

        CollectionAssert.AreEqual(new[] { Id(1), Id(2), Id(3) }, sent, "alpha 2 plus 1 extra, all inside the radius");
        Assert.AreEqual(3, lookup.InFlight);
    }

    [TestMethod]
    public void TryGetNext_PastAlpha_FarCandidatesWait()
    {
        var lookup = NewLookup(20, 2, 200, 1, 2, 100, 101);
        lookup.NearRadius = Id(1);
        lookup.NearExtraParallelism = 4;
        Assert.AreEqual(Id(1), lookup.TryGetNext()!.Value.Id);
        Assert.AreEqual(Id(2), lookup.TryGetNext()!.Value.Id, "within alpha the closest goes, near or not");
        Assert.IsNull(lookup.TryGetNext(), "past alpha only candidates inside the radius may go");
        Assert.AreEqual(2, lookup.InFlight);
    }

    [TestMethod]
    public void TryGetNext_SamePrefixClass_FastestFirst()
    {
        // 8..15 share the same common-prefix length with the target (distance 0b1xxx); 16 is one bit farther.
        var lookup = new IterativeLookup(Target, Self, 20, 1, 200) { TypicalRtt = TimeSpan.FromMilliseconds(150) };
        lookup.AddCandidate(Id(8), Address(8), rtt: TimeSpan.FromMilliseconds(300));
        lookup.AddCandidate(Id(9), Address(9));
        lookup.AddCandidate(Id(12), Address(12), rtt: TimeSpan.FromMilliseconds(40));
        lookup.AddCandidate(Id(16), Address(16), rtt: TimeSpan.FromMilliseconds(1));
        var first = lookup.TryGetNext()!.Value;
        Assert.AreEqual(Id(12), first.Id, "the fastest of the closest class, not the faster node one bit farther");
        lookup.OnSuccess(first);
        Assert.AreEqual(Id(9), lookup.TryGetNext()!.Value.Id, "unknown RTT counts as the typical RTT, faster than 300 ms");
    }

    [TestMethod]
    public void TryGetNext_NoRttKnown_PlainDistanceOrder()
    {
        var lookup = NewLookup(20, 1, 200, 9, 8, 12);
        var order = new List<NodeId>();
        while (lookup.TryGetNext() is { } c)
        {
            order.Add(c.Id);
            lookup.OnSuccess(c);
        }

        CollectionAssert.AreEqual(new[] { Id(8), Id(9), Id(12) }, order);
    }
}
