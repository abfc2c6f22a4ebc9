using Dht.Protocol;
using Dht.Simulator.World;

namespace Dht.Tests.Simulator;

/// <summary>The simulator's event queue: exactly (time, sequence) order, whatever the order of arrival.</summary>
[TestClass]
[TestCategory("Simulator")]
public sealed class EventQueueTests
{
    [TestMethod]
    public void TryDequeue_Empty_False()
    {
        var queue = new EventQueue();
        Assert.IsFalse(queue.TryDequeue(out _, out _));
        queue.Enqueue(new SimEvent(SimEventKind.Wake, 1), new EventKey(5, 0));
        Assert.IsTrue(queue.TryDequeue(out var e, out var key));
        Assert.AreEqual(1, e.Node);
        Assert.AreEqual(new EventKey(5, 0), key);
        Assert.IsFalse(queue.TryDequeue(out _, out _));
        Assert.AreEqual(0, queue.Count);
    }

    /// <summary>
    /// Interleaved enqueues and dequeues, with many events at the same instant (told apart by their sequence), against
    /// a sorted reference: every dequeue returns the smallest pending key and the event enqueued with it.
    /// </summary>
    [TestMethod]
    [DataRow(1UL)]
    [DataRow(2UL)]
    [DataRow(3UL)]
    public void InterleavedOperations_DequeueInTimeThenSequenceOrder(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var queue = new EventQueue();
        var reference = new SortedSet<(long Time, long Sequence)>();
        long sequence = 0;
        long now = 0;
        for (var step = 0; step < 20_000; step++)
        {
            if (rng.NextInt32(3) > 0 || reference.Count == 0)
            {
                // Times cluster on a few instants so that ties are common; sequences are unique and rising.
                var time = now + rng.NextInt32(8);
                var key = new EventKey(time, sequence++);
                queue.Enqueue(new SimEvent(SimEventKind.Deliver, (int)key.Sequence, Extra: (int)time), key);
                reference.Add((key.Time, key.Sequence));
            }
            else
            {
                var expected = reference.Min;
                reference.Remove(expected);
                Assert.IsTrue(queue.TryDequeue(out var e, out var key), $"step {step}; seed {seed}");
                Assert.AreEqual(new EventKey(expected.Time, expected.Sequence), key, $"step {step}; seed {seed}");
                Assert.AreEqual((int)expected.Sequence, e.Node, $"the event enqueued with that key; step {step}; seed {seed}");
                Assert.AreEqual((int)expected.Time, e.Extra, $"step {step}; seed {seed}");
                now = key.Time;
            }

            Assert.AreEqual(reference.Count, queue.Count, $"step {step}; seed {seed}");
        }

        while (reference.Count > 0)
        {
            var expected = reference.Min;
            reference.Remove(expected);
            Assert.IsTrue(queue.TryDequeue(out _, out var key));
            Assert.AreEqual(new EventKey(expected.Time, expected.Sequence), key, $"draining; seed {seed}");
        }

        Assert.IsFalse(queue.TryDequeue(out _, out _));
    }
}
