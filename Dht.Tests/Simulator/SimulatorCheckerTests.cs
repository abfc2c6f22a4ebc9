using Dht.Simulator.Scenarios;

namespace Dht.Tests.Simulator;

[TestClass]
[TestCategory("Simulator")]
public sealed class SimulatorCheckerTests
{
    /// <summary>Churn that takes about a quarter of the nodes down within the run, restarting them with empty stores.</summary>
    private static Scenario ChurnScenario(ulong seed, bool breakReplication)
    {
        var scenario = SimRuns.Small(seed, nodes: 300, durationSeconds: 240);
        scenario.Name = breakReplication ? "broken-replication" : "replication";
        scenario.Churn = new ChurnSettings { Model = "exponential", SessionScaleMinutes = 10, DowntimeScaleMinutes = 1, StartSeconds = 40 };
        scenario.Checks.BreakReplication = breakReplication;
        return scenario;
    }

    [TestMethod]
    [DataRow(31UL)]
    public void Durability_SingleHolderDies_ViolationReported(ulong seed)
    {
        using var world = SimRuns.Run(ChurnScenario(seed, breakReplication: true));
        var durability = world.Violations.Where(v => v.Contains("durability", StringComparison.Ordinal)).ToList();
        Console.WriteLine($"broken replication: {durability.Count} durability violations; first: {durability.FirstOrDefault()}");
        Assert.IsNotEmpty(durability, $"stores went to one node under churn, yet no durability violation; seed {seed}: {string.Join("; ", world.Violations)}");
    }

    [TestMethod]
    [DataRow(31UL)]
    public void Durability_NormalReplicationUnderSameChurn_NoViolation(ulong seed)
    {
        using var world = SimRuns.Run(ChurnScenario(seed, breakReplication: false));
        Assert.IsGreaterThan(50, world.Puts.Count, $"seed {seed}");
        Assert.IsFalse(world.Violations.Any(v => v.Contains("durability", StringComparison.Ordinal)), $"seed {seed}: {string.Join("; ", world.Violations)}");
    }

    /// <summary>
    /// The durability checker asks the nodes next to a key in id order first and only then every live node: a record
    /// held by one node far from its key (outside that first group) must still count as held, and a key no node holds
    /// must not.
    /// </summary>
    [TestMethod]
    [DataRow(41UL)]
    public void AnyLiveHolder_RecordOnlyOnAFarNode_FoundByTheFullSearch(ulong seed)
    {
        var scenario = SimRuns.Small(seed, nodes: 200, durationSeconds: 30, warmStart: true);
        using var world = SimRuns.Run(scenario);
        var record = Dht.DhtRecord.CreateImmutable(System.Text.Encoding.UTF8.GetBytes($"held far away, seed {seed}"));
        Assert.IsFalse(world.AnyLiveHolder(record.Key), $"no node holds the record yet; seed {seed}");

        // The live node farthest from the key by XOR distance, and its place in id order against the key's.
        var far = world.Nodes.Where(n => n.State == Dht.Simulator.World.NodeState.Up && n.Engine is not null)
            .MaxBy(n => n.Id.Xor(record.Key))!;
        var ids = world.Nodes.Select(n => n.Id).Order().ToList();
        var insert = ids.Count(id => id.CompareTo(record.Key) < 0);
        var position = ids.IndexOf(far.Id);
        Assert.IsTrue(position < insert - scenario.K || position >= insert + scenario.K, $"the far node (at {position}, key at {insert}) must lie outside the first group asked; seed {seed}");
        var now = far.LocalTime(Dht.Simulator.World.SimWorld.Ticks(world.NowSeconds));
        var stored = far.Engine!.Storage.TryStore(record, null, far.Id, isLocal: false, now, TimeSpan.FromMinutes(10));
        Assert.AreEqual(Dht.RecordRejection.None, stored, $"seed {seed}");

        Assert.IsTrue(world.AnyLiveHolder(record.Key), $"a record held by one far node is held; seed {seed}");
    }
}
