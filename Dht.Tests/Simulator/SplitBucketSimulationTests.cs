using Dht.Simulator.World;

namespace Dht.Tests.Simulator;

/// <summary>Accelerated lookups (split buckets) running in the simulator: warm start per sub-bucket, checkers per slot.</summary>
[TestClass]
[TestCategory("Simulator")]
public sealed class SplitBucketSimulationTests
{
    [TestMethod]
    [DataRow(41UL)]
    public void WarmStart_SplitBuckets_LargerTablesFewerRoundsNoViolation(ulong seed)
    {
        double MeanTable(SimWorld w) => w.Nodes.Average(n => n.Engine!.RoutingTableSize);
        double MeanRounds(SimWorld w) => w.Operations.Where(o => o.Kind == "lookup" && o.RoundsToClosest is not null).Average(o => o.RoundsToClosest!.Value);

        var classic = SimRuns.Small(seed, nodes: 2000, durationSeconds: 90, warmStart: true);
        var split = SimRuns.Small(seed, nodes: 2000, durationSeconds: 90, warmStart: true);
        split.BucketSplitBits = 1;
        using var a = SimRuns.Run(classic);
        using var b = SimRuns.Run(split);

        Assert.IsEmpty(b.Violations, $"seed {seed}: {string.Join("; ", b.Violations)}");
        var (ok, total) = SimRuns.Gets(b.Operations);
        Assert.AreEqual(total, ok, $"every GET succeeds with split buckets; seed {seed}");

        // Each bucket level holds up to 2k instead of k, but only levels with enough nodes fill: about 1.5-1.9x.
        var ratio = MeanTable(b) / MeanTable(a);
        Console.WriteLine($"table {MeanTable(a):0.0} -> {MeanTable(b):0.0} contacts (x{ratio:0.00}); rounds to closest {MeanRounds(a):0.00} -> {MeanRounds(b):0.00}");
        Assert.IsTrue(ratio is > 1.3 and < 2.0, $"table size ratio {ratio:0.00}; seed {seed}");
        Assert.IsLessThan(MeanRounds(a), MeanRounds(b), $"split buckets reach the closest node in fewer rounds; seed {seed}");
    }
}
