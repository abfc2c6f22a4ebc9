using Dht.Simulator.Scenarios;

namespace Dht.Tests.Simulator;

/// <summary>
/// Warm-started tables must not all fall due for a refresh at the same instant: at 10^5 nodes that started 1.6 M refresh
/// lookups at once and exhausted memory. The warm start spreads each bucket's first refresh over the second interval.
/// </summary>
[TestClass]
[TestCategory("Simulator")]
public sealed class WarmStartRefreshTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(15); // RoutingOptions.BucketRefreshInterval

    [TestMethod]
    [DataRow(41UL)]
    public void WarmStart_FirstRefreshes_SpreadOverTheSecondInterval(ulong seed)
    {
        var scenario = SimRuns.Small(seed, nodes: 400, durationSeconds: 1, warmStart: true);
        using var world = SimRuns.Run(scenario);
        int buckets = 0, early = 0, firstHalf = 0;
        foreach (var node in world.Nodes)
        {
            ref var table = ref node.Engine!.Routing;
            var start = node.LocalTime(0);
            buckets += table.CountDueBuckets(start + (2.5 * Interval));
            early += table.CountDueBuckets(start + Interval - TimeSpan.FromTicks(1));
            firstHalf += table.CountDueBuckets(start + (1.75 * Interval));
        }

        Assert.IsTrue(buckets > 400 * 5, $"{buckets} non-empty buckets; seed {seed}");
        Assert.AreEqual(0, early, $"seed {seed}");
        var share = firstHalf / (double)buckets;
        Assert.IsTrue(share is > 0.4 and < 0.6, $"{share:P1} of first refreshes due by 1.75 intervals (their median); seed {seed}");
    }

    [TestMethod]
    [DataRow(42UL)]
    public void WarmStart_LongRun_RefreshTrafficHasNoBurst(ulong seed)
    {
        var scenario = LongRun(seed, durationSeconds: 2000);

        // One timeline interval per maintenance tick (30 s): refreshes that fell due within a tick start together at it
        // (engines tick at their own phases since the first tick comes at a random point of the first interval).
        scenario.TimelineIntervalSeconds = 30;
        using var world = SimRuns.Run(scenario);
        Assert.IsEmpty(world.Violations, string.Join("; ", world.Violations));

        // Refreshes run at their steady rate from 15 min on, and no interval holds a burst: when every bucket fell due at
        // once, one interval carried tens of times the rest, and before refresh delays were random, traffic that freshened
        // many buckets at once made them fall due together again one interval later. Traffic from a bucket's range
        // stands in for most refreshes (the test below counts them), so steady traffic stays close to the workload's.
        static long Median(IEnumerable<long> values)
        {
            var sorted = values.Order().ToList();
            return sorted[sorted.Count / 2];
        }

        var before = Median(world.Timeline.Where(r => r.EndSeconds <= Interval.TotalSeconds).Select(r => r.Messages));
        var steady = Median(world.Timeline.Where(r => r.EndSeconds > 2 * Interval.TotalSeconds).Select(r => r.Messages));
        var max = world.Timeline.Where(r => r.EndSeconds > Interval.TotalSeconds).Max(r => r.Messages);
        var summary = $"median messages per interval {before} before 15 min, {steady} after 30 min; largest interval after 15 min {max}; seed {seed}";
        Console.WriteLine(summary);
        Assert.IsTrue(steady < 1.5 * before, summary);
        Assert.IsTrue(max < 2 * before, summary);
    }

    [TestMethod]
    [DataRow(43UL)]
    public void WarmStart_LongRun_TrafficFromABucketsRangeReplacesMostRefreshLookups(ulong seed)
    {
        // 45 min: every bucket falls due between 15 and 37.5 min and, refreshed then, most of them once more by 45 min.
        var scenario = LongRun(seed, durationSeconds: 2700);
        using var world = SimRuns.Run(scenario);
        Assert.IsEmpty(world.Violations, string.Join("; ", world.Violations));

        // With a refresh lookup for every bucket that saw no lookup of its own, each bucket would be refreshed one to
        // two times; requests and replies from the bucket's range keep most buckets fresh, so refreshes are a fraction of
        // that, yet not zero (far buckets of a node rarely hear from their range).
        long buckets = 0, refreshes = 0;
        foreach (var node in world.Nodes)
        {
            buckets += node.Engine!.Routing.CountDueBuckets(node.LocalTime(0) + (10 * Interval));
            refreshes += node.Engine.Stats.BucketRefreshes;
        }

        var perBucket = refreshes / (double)buckets;
        var summary = $"{refreshes} refresh lookups for {buckets} non-empty buckets ({perBucket:F2} per bucket); seed {seed}";
        Console.WriteLine(summary);
        Assert.IsTrue(perBucket is > 0.01 and < 0.8, summary);
    }

    /// <summary>300 warm-started nodes with a light workload, run long enough to reach steady-state refreshes.</summary>
    private static Scenario LongRun(ulong seed, double durationSeconds)
    {
        var scenario = SimRuns.Small(seed, nodes: 300, durationSeconds: durationSeconds, warmStart: true);
        scenario.Workload.PutsPerSecond = 0.2;
        scenario.Workload.GetsPerSecond = 0.5;
        scenario.Workload.SignedPutsPerSecond = 0;
        scenario.Workload.LookupsPerSecond = 0.2;
        return scenario;
    }
}
