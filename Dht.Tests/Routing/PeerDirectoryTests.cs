using Dht.Routing;
using static Dht.Tests.Routing.RoutingFixtures;

namespace Dht.Tests.Routing;

[TestClass]
public sealed class PeerDirectoryTests
{
    [TestMethod]
    public void Acquire_SamePairTwice_SameHandleTwoReferences()
    {
        var directory = new PeerDirectory();

        var a = directory.Acquire(IdInBucket(3, 1), V4(1));
        var b = directory.Acquire(IdInBucket(3, 1), V4(1));

        Assert.AreEqual(a, b);
        Assert.AreEqual(1, directory.Count);
        Assert.AreEqual(2, directory.ReferencesOf(a));
        Assert.AreEqual(IdInBucket(3, 1), directory.IdOf(a));
        Assert.AreEqual(V4(1), directory.AddressOf(a));
    }

    [TestMethod]
    public void Acquire_SameIdOtherAddress_OtherHandle()
    {
        var directory = new PeerDirectory();

        var a = directory.Acquire(IdInBucket(3, 1), V4(1));
        var b = directory.Acquire(IdInBucket(3, 1), V4(2));

        Assert.AreNotEqual(a, b);
        Assert.AreEqual(2, directory.Count);
        Assert.AreEqual(V4(2), directory.AddressOf(b));
    }

    [TestMethod]
    public void Release_LastReference_ForgetsPairAndReusesSlot()
    {
        var directory = new PeerDirectory();
        var a = directory.Acquire(IdInBucket(3, 1), V4(1));
        directory.Acquire(IdInBucket(3, 1), V4(1));

        directory.Release(a);
        Assert.AreEqual(1, directory.Count, "one reference left");
        directory.Release(a);

        Assert.AreEqual(0, directory.Count);
        Assert.AreEqual(0, directory.ReferencesOf(a));
        Assert.IsFalse(directory.TryFind(IdInBucket(3, 1), V4(1), out _));
        Assert.ThrowsExactly<InvalidOperationException>(() => directory.IdOf(a));
        var reused = directory.Acquire(IdInBucket(4, 2), V4(9));
        Assert.AreEqual(a, reused, "the freed slot is reused");
        Assert.AreEqual(1, directory.Capacity);
        Assert.AreEqual(IdInBucket(4, 2), directory.IdOf(reused));
    }

    [TestMethod]
    public void AcquireHinted_HintHoldsThePair_SameHandleOneMoreReference()
    {
        var directory = new PeerDirectory();
        var a = directory.Acquire(IdInBucket(3, 1), V4(1));

        Assert.AreEqual(a, directory.AcquireHinted(IdInBucket(3, 1), V4(1), a));
        Assert.AreEqual(2, directory.ReferencesOf(a));
        Assert.AreEqual(1, directory.Count);
    }

    /// <summary>
    /// The simulator's warm start acquires through hints from several threads at once: no increment may be lost (with
    /// a plain increment, two threads racing on one slot lose some on a machine with two or more cores).
    /// </summary>
    [TestMethod]
    public void AcquireHinted_TwoThreadsOnOneSlot_EveryReferenceCounted()
    {
        const int PerThread = 200_000;
        var directory = new PeerDirectory();
        var a = directory.Acquire(IdInBucket(3, 1), V4(1));
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, _ =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                directory.AcquireHinted(IdInBucket(3, 1), V4(1), a);
            }
        });

        Assert.AreEqual(1 + (2 * PerThread), directory.ReferencesOf(a));
    }

    /// <summary>
    /// A hint that does not hold the pair (another id, another address, a freed slot, out of range, none) costs the
    /// index lookup and nothing else: the pair's own handle comes back, or a new one, and no other slot's count moves.
    /// </summary>
    [TestMethod]
    public void AcquireHinted_WrongHint_SameResultAsAcquire()
    {
        var directory = new PeerDirectory();
        var a = directory.Acquire(IdInBucket(3, 1), V4(1));
        var b = directory.Acquire(IdInBucket(3, 2), V4(2));
        var freed = directory.Acquire(IdInBucket(3, 3), V4(3));
        directory.Release(freed);

        foreach (var hint in new[] { b, freed, -1, 99, int.MaxValue })
        {
            Assert.AreEqual(a, directory.AcquireHinted(IdInBucket(3, 1), V4(1), hint), $"hint {hint}");
        }

        Assert.AreEqual(6, directory.ReferencesOf(a));
        Assert.AreEqual(1, directory.ReferencesOf(b), "the hinted slot of another pair is untouched");
        Assert.AreNotEqual(b, directory.AcquireHinted(IdInBucket(3, 2), V4(9), b), "same id, other address: a new pair");
        var fresh = directory.AcquireHinted(IdInBucket(3, 4), V4(4), a);
        Assert.AreEqual(IdInBucket(3, 4), directory.IdOf(fresh));
        Assert.AreEqual(1, directory.ReferencesOf(fresh));
        Assert.AreEqual(4, directory.Count);
    }

    [TestMethod]
    public void Release_NotHeld_Throws()
    {
        var directory = new PeerDirectory();
        var a = directory.Acquire(IdInBucket(3, 1), V4(1));
        directory.Release(a);

        Assert.ThrowsExactly<InvalidOperationException>(() => directory.Release(a));
        Assert.ThrowsExactly<InvalidOperationException>(() => directory.Release(-1));
        Assert.ThrowsExactly<InvalidOperationException>(() => directory.Release(12345));
    }

    [TestMethod]
    [DataRow(1UL)]
    [DataRow(2UL)]
    public void AcquireRelease_ManyPairsRandomOrder_CountTracksLivePairs(ulong seed)
    {
        var directory = new PeerDirectory();
        var rng = new Dht.Protocol.Xoshiro256(seed);
        var held = new List<(int Handle, NodeId Id)>();
        for (var step = 0; step < 5000; step++)
        {
            if (held.Count > 0 && rng.NextInt32(3) == 0)
            {
                var i = rng.NextInt32(held.Count);
                directory.Release(held[i].Handle);
                held.RemoveAt(i);
            }
            else
            {
                var id = IdInBucket(3, (ulong)rng.NextInt32(300) + 1);
                held.Add((directory.Acquire(id, V4(1)), id));
            }

            Assert.AreEqual(held.Select(h => h.Id).Distinct().Count(), directory.Count, $"step {step}; seed {seed}");
        }

        foreach (var (handle, id) in held)
        {
            Assert.AreEqual(id, directory.IdOf(handle), $"seed {seed}");
            directory.Release(handle);
        }

        Assert.AreEqual(0, directory.Count, $"seed {seed}");
        Assert.IsLessThanOrEqualTo(300, directory.Capacity, $"slots are reused; seed {seed}");
    }

    /// <summary>
    /// The index is open-addressed and removal moves later cells of a run back: after any sequence of acquires and
    /// releases over thousands of pairs (the index grows several times and runs wrap past its end), every held pair is
    /// found under its own handle and every released one is gone.
    /// </summary>
    [TestMethod]
    [DataRow(3UL)]
    [DataRow(4UL)]
    public void TryFind_AfterManyAcquiresAndReleases_FindsExactlyTheHeldPairs(ulong seed)
    {
        var directory = new PeerDirectory();
        var rng = new Dht.Protocol.Xoshiro256(seed);
        var model = new Dictionary<(NodeId Id, Dht.Protocol.PeerAddress Address), (int Handle, int References)>();
        var everSeen = new HashSet<(NodeId, Dht.Protocol.PeerAddress)>();
        for (var step = 0; step < 40_000; step++)
        {
            var id = IdInBucket(3, (ulong)rng.NextInt32(4000) + 1);
            var pair = (id, V4(rng.NextInt32(2) + 1));
            everSeen.Add(pair);
            if (model.TryGetValue(pair, out var held) && rng.NextInt32(2) == 0)
            {
                directory.Release(held.Handle);
                if (held.References == 1)
                {
                    model.Remove(pair);
                }
                else
                {
                    model[pair] = (held.Handle, held.References - 1);
                }
            }
            else
            {
                var handle = directory.Acquire(pair.id, pair.Item2);
                if (held.References > 0)
                {
                    Assert.AreEqual(held.Handle, handle, $"a held pair keeps its handle; step {step}; seed {seed}");
                }

                model[pair] = (handle, held.References + 1);
            }

            if (step % 2000 == 1999)
            {
                Assert.AreEqual(model.Count, directory.Count, $"step {step}; seed {seed}");
                foreach (var seen in everSeen)
                {
                    var found = directory.TryFind(seen.Item1, seen.Item2, out var handle);
                    Assert.AreEqual(model.TryGetValue(seen, out var expected), found, $"step {step}; seed {seed}");
                    if (found)
                    {
                        Assert.AreEqual(expected.Handle, handle, $"step {step}; seed {seed}");
                        Assert.AreEqual(expected.References, directory.ReferencesOf(handle), $"step {step}; seed {seed}");
                    }
                }
            }
        }
    }
}
