using Dht.Protocol;

namespace Dht.Tests.Protocol;

[TestClass]
public sealed class TimerHeapTests
{
    /// <summary>
    /// Random adds, cancels and pops against a sorted list: timers come out by due time, ties in the order they were
    /// added, and a cancelled timer never comes out.
    /// </summary>
    [TestMethod]
    [DataRow(1UL, 0u)]
    [DataRow(2UL, 0u)]
    [DataRow(3UL, uint.MaxValue - 40)]
    public void AddCancelPop_MatchesASortedModel(ulong seed, uint firstSequence)
    {
        var rng = new Xoshiro256(seed);
        var heap = new TimerHeap { NextSequence = firstSequence };
        var model = new List<(long Ticks, long Order, TimerKind Kind, ulong Id)>();
        long order = 0;
        long now = 0;
        for (var step = 0; step < 20_000; step++)
        {
            var roll = rng.NextInt32(10);
            if (roll < 5)
            {
                // Few distinct times and ids, so ties and repeated ids are common.
                var ticks = now + rng.NextInt32(20);
                var kind = (TimerKind)rng.NextInt32(5);
                var id = (ulong)rng.NextInt32(8);
                heap.Add(ticks, kind, id);
                model.Add((ticks, order++, kind, id));
            }
            else if (roll < 7)
            {
                var id = (ulong)rng.NextInt32(8);
                var removed = heap.CancelRequest(id);
                var expected = model.RemoveAll(t => t.Id == id && t.Kind is TimerKind.RequestDeadline or TimerKind.SoftDeadline);
                Assert.AreEqual(expected, removed, $"step {step}; seed {seed}");
            }
            else if (roll < 8)
            {
                var kind = (TimerKind)rng.NextInt32(5);
                var id = (ulong)rng.NextInt32(8);
                Assert.AreEqual(model.RemoveAll(t => t.Id == id && t.Kind == kind), heap.Cancel(kind, id), $"step {step}; seed {seed}");
            }
            else
            {
                now += rng.NextInt32(3);
                var due = model.Where(t => t.Ticks <= now).OrderBy(t => t.Ticks).ThenBy(t => t.Order).ToList();
                foreach (var t in due)
                {
                    Assert.IsTrue(heap.TryPopDue(now, out var kind, out var id), $"step {step}; seed {seed}");
                    Assert.AreEqual((t.Kind, t.Id), (kind, id), $"step {step}; seed {seed}");
                    model.Remove(t);
                }

                Assert.IsFalse(heap.TryPopDue(now, out _, out _), $"step {step}; seed {seed}");
            }

            Assert.AreEqual(model.Count, heap.Count, $"step {step}; seed {seed}");
            Assert.AreEqual(model.Count > 0, heap.TryPeek(out var first), $"step {step}; seed {seed}");
            if (model.Count > 0)
            {
                Assert.AreEqual(model.Min(t => t.Ticks), first, $"step {step}; seed {seed}");
            }
        }

        if (firstSequence > 0)
        {
            Assert.IsLessThan(firstSequence, heap.NextSequence, $"the sequence wrapped and the entries were renumbered; seed {seed}");
        }
    }

    [TestMethod]
    public void TrimExcess_KeepsThePendingTimers()
    {
        var heap = new TimerHeap();
        for (var i = 0; i < 40; i++)
        {
            heap.Add(100 - i, TimerKind.RequestDeadline, (ulong)i);
        }

        for (var i = 0; i < 35; i++)
        {
            Assert.AreEqual(1, heap.CancelRequest((ulong)i));
        }

        heap.TrimExcess();
        Assert.AreEqual(5, heap.Capacity);
        for (var i = 39; i >= 35; i--)
        {
            Assert.IsTrue(heap.TryPopDue(long.MaxValue, out _, out var id));
            Assert.AreEqual((ulong)i, id);
        }

        Assert.AreEqual(0, heap.Count);
    }

    /// <summary>
    /// A quiet engine has one timer pending, its maintenance tick, which it pops and adds again on every tick: that timer
    /// lives in the heap's inline slot, so the cycle allocates no array (and at 10^5 simulated engines reads none).
    /// </summary>
    [TestMethod]
    public void OneTimerPending_PopAndAddAgain_UsesNoArray()
    {
        var heap = new TimerHeap();
        heap.Add(10, TimerKind.Maintenance, 0);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (long t = 10; t < 10_000; t += 10)
        {
            Assert.IsTrue(heap.TryPopDue(t, out var kind, out _));
            Assert.AreEqual(TimerKind.Maintenance, kind);
            heap.Add(t + 10, TimerKind.Maintenance, 0);
        }

        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.AreEqual(1, heap.Capacity, "only the inline slot");

        // A second timer goes to the array; an earlier one takes the inline slot and moves the other out.
        heap.Add(5, TimerKind.RequestDeadline, 7);
        Assert.AreEqual(2, heap.Count);
        Assert.IsGreaterThan(1, heap.Capacity);
        Assert.IsTrue(heap.TryPeek(out var first));
        Assert.AreEqual(5, first);
        Assert.AreEqual(1, heap.CancelRequest(7));
        Assert.IsTrue(heap.TryPeek(out first));
        Assert.AreEqual(10_000, first);
    }
}
