using Dht.Protocol;
using Dht.Simulator.World;

namespace Dht.Tests.Simulator;

/// <summary>The simulator's global-knowledge k closest (the reference for recall and success) against brute force.</summary>
[TestClass]
[TestCategory("Simulator")]
public sealed class TrueClosestTests
{
    [TestMethod]
    [DataRow(31UL)]
    public void TrueClosest_WithDeadNodes_MatchesBruteForceOverLiveNodes(ulong seed)
    {
        var scenario = SimRuns.Small(seed, nodes: 600, durationSeconds: 20, warmStart: true);
        scenario.DeadContactFraction = 0.3;
        scenario.Workload.StartSeconds = 5;
        using var world = SimRuns.Run(scenario);
        var live = world.Nodes.Where(n => n.State == NodeState.Up).Select(n => n.Id).ToList();
        Assert.AreEqual(420, live.Count, $"seed {seed}");

        var rng = new Xoshiro256(seed);
        var targets = Enumerable.Range(0, 200).Select(_ => rng.NextNodeId()).Concat(live.Take(20)).ToList();
        foreach (var target in targets)
        {
            foreach (var k in new[] { 1, 20, 64 })
            {
                var expected = live.OrderBy(id => id.Xor(target)).Take(k).ToList();
                CollectionAssert.AreEqual(expected, world.TrueClosest(target, k), $"target {target}, k {k}; seed {seed}");
            }
        }
    }
}
