using Dht.Protocol;
using Dht.Simulator.World;

namespace Dht.Tests.Simulator;

/// <summary>The world's two-heap event queue gives exactly the order of one priority queue over (time, sequence).</summary>
[TestClass]
[TestCategory("Simulator")]
public sealed class EventQueueTests
{
    [TestMethod]
    [DataRow(1UL)]
    [DataRow(2UL)]
    [DataRow(3UL)]
    public void RandomSchedule_SameOrderAsOneHeap(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        using var queue = new EventQueue();
        var model = new PriorityQueue<SimEvent, EventKey>();
        var kinds = Enum.GetValues<SimEventKind>();
        long now = 0, sequence = 0;
        var taken = 0;
        for (var step = 0; step < 20_000; step++)
        {
            // Mostly scheduling at or after the current time (as the world does), with bursts of either kind, and
            // taking events in between so that both heaps fill, drain and empty.
            if (rng.NextInt32(100) < 55)
            {
                var kind = rng.NextInt32(3) == 0 ? SimEventKind.Wake : kinds[rng.NextInt32(kinds.Length)];
                var at = now + (rng.NextInt32(4) == 0 ? 0 : rng.NextInt32(1000));
                // A wake-up carries only its node, as the world schedules it; other events carry more.
                var e = kind == SimEventKind.Wake ? new SimEvent(kind, rng.NextInt32(50)) : new SimEvent(kind, rng.NextInt32(50), Extra: step);
                var key = new EventKey(at, sequence++);
                queue.Enqueue(e, key);
                model.Enqueue(e, key);
            }
            else
            {
                var peeked = queue.TryPeek(out var peekEvent, out var peekKey);
                var got = queue.TryDequeue(out var e, out var key);
                var expected = model.TryDequeue(out var modelEvent, out var modelKey);
                Assert.AreEqual(expected, got, $"seed {seed}, step {step}");
                Assert.AreEqual(expected, peeked, $"seed {seed}, step {step}");
                if (expected)
                {
                    Assert.AreEqual(modelKey, key, $"seed {seed}, step {step}");
                    Assert.AreEqual(modelEvent, e, $"seed {seed}, step {step}");
                    Assert.AreEqual(key, peekKey, $"seed {seed}, step {step}: peek and dequeue disagree");
                    Assert.AreEqual(e, peekEvent, $"seed {seed}, step {step}: peek and dequeue disagree");
                    now = key.Time;
                    taken++;
                }
            }

            Assert.AreEqual(model.Count, queue.Count, $"seed {seed}, step {step}");
        }

        while (model.TryDequeue(out var modelEvent, out var modelKey))
        {
            Assert.IsTrue(queue.TryDequeue(out var e, out var key), $"seed {seed}: queue ran dry early");
            Assert.AreEqual(modelKey, key, $"seed {seed}");
            Assert.AreEqual(modelEvent, e, $"seed {seed}");
            taken++;
        }

        Assert.IsFalse(queue.TryDequeue(out _, out _), $"seed {seed}: queue holds more than the model");
        Assert.IsFalse(queue.TryPeek(out _, out _), $"seed {seed}");
        Assert.AreEqual(0, queue.Count);
        Assert.IsGreaterThan(5_000, taken, $"seed {seed}");
    }

    /// <summary>
    /// Looking ahead (<see cref="EventQueue.TryPeekAt"/>) takes events out of the heaps early; with random peeks of every
    /// depth between schedules (many at the current time, so before the events held ahead) the dequeue order must still
    /// be exactly that of one heap, and each peek must show the event that many places on.
    /// </summary>
    [TestMethod]
    [DataRow(11UL)]
    [DataRow(12UL)]
    [DataRow(13UL)]
    public void RandomScheduleLookingAhead_SameOrderAsOneHeap(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        using var queue = new EventQueue();
        var model = new SortedDictionary<EventKey, SimEvent>();
        var kinds = Enum.GetValues<SimEventKind>();
        long now = 0, sequence = 0;
        var taken = 0;
        for (var step = 0; step < 20_000; step++)
        {
            var roll = rng.NextInt32(100);
            if (roll < 50)
            {
                var kind = rng.NextInt32(3) == 0 ? SimEventKind.Wake : kinds[rng.NextInt32(kinds.Length)];
                var at = now + (rng.NextInt32(3) == 0 ? 0 : rng.NextInt32(1000));
                var e = kind == SimEventKind.Wake ? new SimEvent(kind, rng.NextInt32(50)) : new SimEvent(kind, rng.NextInt32(50), Extra: step);
                var key = new EventKey(at, sequence++);
                queue.Enqueue(e, key);
                model.Add(key, e);
            }
            else if (roll < 75)
            {
                var depth = rng.NextInt32(EventQueue.MaxAhead);
                var peeked = queue.TryPeekAt(depth, out var e, out var key);
                Assert.AreEqual(model.Count > depth, peeked, $"seed {seed}, step {step}, depth {depth}");
                if (peeked)
                {
                    var expected = model.Skip(depth).First();
                    Assert.AreEqual(expected.Key, key, $"seed {seed}, step {step}, depth {depth}");
                    Assert.AreEqual(expected.Value, e, $"seed {seed}, step {step}, depth {depth}");
                }
            }
            else
            {
                var got = queue.TryDequeue(out var e, out var key);
                Assert.AreEqual(model.Count > 0, got, $"seed {seed}, step {step}");
                if (got)
                {
                    var expected = model.First();
                    Assert.AreEqual(expected.Key, key, $"seed {seed}, step {step}");
                    Assert.AreEqual(expected.Value, e, $"seed {seed}, step {step}");
                    model.Remove(expected.Key);
                    now = key.Time;
                    taken++;
                }
            }

            Assert.AreEqual(model.Count, queue.Count, $"seed {seed}, step {step}");
        }

        foreach (var (modelKey, modelEvent) in model)
        {
            Assert.IsTrue(queue.TryDequeue(out var e, out var key), $"seed {seed}: queue ran dry early");
            Assert.AreEqual(modelKey, key, $"seed {seed}");
            Assert.AreEqual(modelEvent, e, $"seed {seed}");
        }

        Assert.IsFalse(queue.TryDequeue(out _, out _), $"seed {seed}: queue holds more than the model");
        Assert.IsGreaterThan(4_000, taken, $"seed {seed}");
    }

    /// <summary>
    /// Events enqueued before all of those held ahead, with the look-ahead full: each joins them in order and the last one
    /// held goes back to its heap, from which it comes out again in its place.
    /// </summary>
    [TestMethod]
    public void EnqueueBeforeAFullLookAhead_LastGoesBackAndOrderHolds()
    {
        using var queue = new EventQueue();
        long sequence = 0;
        foreach (var time in new long[] { 10, 20, 30, 40, 50, 60 })
        {
            queue.Enqueue(time % 20 == 0 ? new SimEvent(SimEventKind.Wake, (int)time) : new SimEvent(SimEventKind.Deliver, (int)time), new EventKey(time, sequence++));
        }

        Assert.IsTrue(queue.TryPeekAt(EventQueue.MaxAhead - 1, out var fourth, out _));
        Assert.AreEqual(40, fourth.Node);
        foreach (var time in new long[] { 5, 1, 35, 3 })
        {
            queue.Enqueue(new SimEvent(SimEventKind.Wake, (int)time), new EventKey(time, sequence++));
        }

        Assert.AreEqual(10, queue.Count);
        Assert.IsTrue(queue.TryPeekAt(2, out var third, out _));
        Assert.AreEqual(5, third.Node);
        var order = new List<int>();
        while (queue.TryDequeue(out var e, out _))
        {
            order.Add(e.Node);
        }

        CollectionAssert.AreEqual(new[] { 1, 3, 5, 10, 20, 30, 35, 40, 50, 60 }, order);
        Assert.AreEqual(0, queue.Count);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => queue.TryPeekAt(EventQueue.MaxAhead, out _, out _));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => queue.TryPeekAt(-1, out _, out _));
    }

    [TestMethod]
    public void Enqueue_WakeCarryingMoreThanItsNode_Refused()
    {
        using var queue = new EventQueue();
        var e = Assert.ThrowsExactly<ArgumentException>(() => queue.Enqueue(new SimEvent(SimEventKind.Wake, 3, Extra: 1), new EventKey(0, 0)));
        StringAssert.Contains(e.Message, "only its node");
        Assert.AreEqual(0, queue.Count);
    }

    /// <summary>Wake-ups past a few heap levels (the heap grows from 64 entries), ties in time broken by sequence.</summary>
    [TestMethod]
    [DataRow(4UL)]
    [DataRow(5UL)]
    public void WakeHeap_ManyEntries_ComeOutInTimeThenSequenceOrder(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        using var heap = new WakeHeap();
        var model = new List<(long Time, long Sequence, int Node)>();
        for (var i = 0; i < 5_000; i++)
        {
            var entry = (Time: (long)rng.NextInt32(300), Sequence: (long)i, Node: rng.NextInt32(WakeHeap.MaxNode + 1));
            heap.Push(entry.Time, entry.Sequence, entry.Node);
            model.Add(entry);
        }

        model.Sort();
        foreach (var expected in model)
        {
            Assert.IsTrue(heap.TryPop(out var time, out var sequence, out var node), $"seed {seed}");
            Assert.AreEqual(expected, (time, sequence, node), $"seed {seed}");
        }

        Assert.IsFalse(heap.TryPop(out _, out _, out _));
        Assert.AreEqual(0, heap.Count);
    }

    [TestMethod]
    public void WakeHeap_NodeOrSequenceOutOfRange_RefusedAndDisposedHeapRefusesAll()
    {
        var heap = new WakeHeap();
        heap.Push(1, WakeHeap.MaxSequence, WakeHeap.MaxNode);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => heap.Push(1, 0, WakeHeap.MaxNode + 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => heap.Push(1, 0, -1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => heap.Push(1, WakeHeap.MaxSequence + 1, 0));
        Assert.IsTrue(heap.TryPop(out _, out var sequence, out var node));
        Assert.AreEqual((WakeHeap.MaxSequence, WakeHeap.MaxNode), (sequence, node));
        heap.Push(1, 2, 3);
        heap.Dispose();
        Assert.AreEqual(0, heap.Count);
        Assert.IsFalse(heap.TryPop(out _, out _, out _));
        Assert.ThrowsExactly<ObjectDisposedException>(() => heap.Push(1, 2, 3));
    }

    /// <summary>
    /// The wake-up calendar against one heap, with times spread from the same tick to three times past the calendar's
    /// ring (54 s), so that entries go to the small heap, the ring and the overflow, and move between them.
    /// </summary>
    [TestMethod]
    [DataRow(6UL)]
    [DataRow(7UL)]
    [DataRow(8UL)]
    public void WakeCalendar_TimesNearAndFar_SameOrderAsOneHeap(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        using var calendar = new WakeCalendar();
        var model = new PriorityQueue<(long Time, long Sequence, int Node), (long, long)>();
        long now = 0, sequence = 0;
        var taken = 0;
        long[] spans = [1, 1L << 12, 1L << 16, 1L << 20, 30 * TimeSpan.TicksPerSecond, 160 * TimeSpan.TicksPerSecond];
        for (var step = 0; step < 30_000; step++)
        {
            if (rng.NextInt32(100) < 52)
            {
                var span = spans[rng.NextInt32(spans.Length)];
                var time = now + (long)rng.NextUInt64((ulong)span);
                var node = rng.NextInt32(1000);
                calendar.Push(time, sequence, node);
                model.Enqueue((time, sequence, node), (time, sequence));
                sequence++;
            }
            else
            {
                var peeked = calendar.TryPeek(out var pt, out var ps, out var pn);
                var got = calendar.TryPop(out var t, out var s, out var n);
                var expected = model.TryDequeue(out var m, out _);
                Assert.AreEqual(expected, got, $"seed {seed}, step {step}");
                Assert.AreEqual(expected, peeked, $"seed {seed}, step {step}");
                if (expected)
                {
                    Assert.AreEqual(m, (t, s, n), $"seed {seed}, step {step}");
                    Assert.AreEqual(m, (pt, ps, pn), $"seed {seed}, step {step}: peek and pop disagree");
                    now = t;
                    taken++;
                }
            }

            Assert.AreEqual(model.Count, calendar.Count, $"seed {seed}, step {step}");
        }

        while (model.TryDequeue(out var m, out _))
        {
            Assert.IsTrue(calendar.TryPop(out var t, out var s, out var n), $"seed {seed}: calendar ran dry early");
            Assert.AreEqual(m, (t, s, n), $"seed {seed}");
            taken++;
        }

        Assert.IsFalse(calendar.TryPop(out _, out _, out _), $"seed {seed}");
        Assert.AreEqual(0, calendar.Count);
        Assert.IsGreaterThan(10_000, taken, $"seed {seed}");
    }
}
