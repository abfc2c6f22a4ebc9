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
        var queue = new EventQueue();
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
                var e = new SimEvent(kind, rng.NextInt32(50), Extra: step);
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
}
