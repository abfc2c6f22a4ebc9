using Dht.Protocol;

namespace Dht.Tests.Protocol;

[TestClass]
public sealed class DueScheduleTests
{
    /// <summary>
    /// Random schedules, removals, trims and scans at a clock that moves forward, against a plain dictionary: every scan
    /// returns exactly the keys due, in key order, also when the schedule skipped reading its dictionary because of its
    /// bound (so the bound never hides a due key), and also when the caller leaves due keys due.
    /// </summary>
    [TestMethod]
    [DataRow(1UL)]
    [DataRow(2UL)]
    [DataRow(3UL)]
    public void RandomOperations_MatchDictionary(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var keys = Enumerable.Range(1, 12).Select(i => new NodeId(0, 0, (ulong)i * 7919, (ulong)rng.NextInt32(1000))).ToArray();
        var schedule = new DueSchedule();
        var model = new Dictionary<NodeId, Instant>();
        var now = 0L;
        for (var step = 0; step < 20_000; step++)
        {
            var key = keys[rng.NextInt32(keys.Length)];
            switch (rng.NextInt32(10))
            {
                case < 4:
                    // Mostly in the future, sometimes already due.
                    var at = new Instant(now + rng.NextInt32(200) - 20);
                    schedule.Set(key, at);
                    model[key] = at;
                    break;
                case < 5:
                    schedule.Remove(key);
                    model.Remove(key);
                    break;
                case < 6:
                    schedule.TrimIfEmpty();
                    break;
                default:
                    now += rng.NextInt32(30);
                    var expected = model.Where(p => p.Value.Ticks <= now).Select(p => p.Key).Order().ToList();
                    var due = schedule.DueKeys(new Instant(now));
                    CollectionAssert.AreEqual(expected, due, $"step {step}; seed {seed}");
                    break;
            }

            Assert.AreEqual(model.Count, schedule.Count, $"step {step}; seed {seed}");
            Assert.AreEqual(model.ContainsKey(key), schedule.Contains(key), $"step {step}; seed {seed}");
        }
    }

    /// <summary>A key left due by its caller (the engine's maintenance budget ran out) is returned again by the next scan.</summary>
    [TestMethod]
    public void DueKeys_KeyLeftDue_IsDueAgain()
    {
        var schedule = new DueSchedule();
        var key = new NodeId(0, 0, 0, 42);
        schedule.Set(key, new Instant(100));
        schedule.Set(new NodeId(0, 0, 0, 43), new Instant(1_000));
        Assert.AreEqual(0, schedule.DueKeys(new Instant(50)).Count);
        CollectionAssert.AreEqual(new[] { key }, schedule.DueKeys(new Instant(100)));
        CollectionAssert.AreEqual(new[] { key }, schedule.DueKeys(new Instant(101)));
        schedule.Set(key, new Instant(2_000));
        Assert.AreEqual(0, schedule.DueKeys(new Instant(500)).Count);
    }
}
