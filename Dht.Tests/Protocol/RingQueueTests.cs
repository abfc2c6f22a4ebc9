using Dht.Protocol;

namespace Dht.Tests.Protocol;

[TestClass]
public sealed class RingQueueTests
{
    /// <summary>Random enqueues and dequeues against <see cref="Queue{T}"/>: the same items in the same order, across growth and wrap-around.</summary>
    [TestMethod]
    [DataRow(1UL)]
    [DataRow(2UL)]
    public void RandomOperations_MatchQueue(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var ring = new RingQueue<string>();
        var model = new Queue<string>();
        for (var step = 0; step < 20_000; step++)
        {
            // Phases that mostly add and mostly take, so the ring grows, wraps and drains.
            var addShare = (step / 1_000) % 2 == 0 ? 6 : 4;
            if (rng.NextInt32(10) < addShare)
            {
                var item = step.ToString(System.Globalization.CultureInfo.InvariantCulture);
                ring.Enqueue(item);
                model.Enqueue(item);
            }
            else
            {
                Assert.AreEqual(model.TryDequeue(out var expected), ring.TryDequeue(out var actual), $"step {step}; seed {seed}");
                Assert.AreEqual(expected, actual, $"step {step}; seed {seed}");
            }

            Assert.AreEqual(model.Count, ring.Count, $"step {step}; seed {seed}");
            if (ring.Count == 0 && rng.NextInt32(4) == 0)
            {
                ring.TrimExcess();
                Assert.AreEqual(0, ring.Capacity, $"step {step}; seed {seed}");
            }
        }
    }

    [TestMethod]
    public void TrimExcess_KeepsItemsWhenNotEmpty_AndFreesStorageWhenEmpty()
    {
        var ring = new RingQueue<object>();
        Assert.IsFalse(ring.TryDequeue(out _));
        ring.Enqueue("a");
        ring.Enqueue("b");
        ring.TrimExcess();
        Assert.AreEqual(2, ring.Count);
        Assert.IsTrue(ring.TryDequeue(out var a));
        Assert.AreEqual("a", a);
        Assert.IsTrue(ring.TryDequeue(out var b));
        Assert.AreEqual("b", b);
        Assert.AreEqual(4, ring.Capacity);
        ring.TrimExcess();
        Assert.AreEqual(0, ring.Capacity);
    }
}
