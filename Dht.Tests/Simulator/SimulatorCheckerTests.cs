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
}
