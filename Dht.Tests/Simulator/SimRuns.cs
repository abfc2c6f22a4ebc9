using System.Diagnostics;
using Dht.Simulator.Metrics;
using Dht.Simulator.Scenarios;
using Dht.Simulator.World;

namespace Dht.Tests.Simulator;

/// <summary>Small scenarios and run helpers shared by the simulator tests. Every run asserts that accounting balances.</summary>
internal static class SimRuns
{
    /// <summary>A small world: nodes join for real over <paramref name="joinSeconds"/> (or warm start), then a light workload.</summary>
    public static Scenario Small(ulong seed, int nodes = 200, double durationSeconds = 120, bool warmStart = false, double joinSeconds = 20) => new()
    {
        Name = "test",
        Seed = seed,
        Nodes = nodes,
        Crypto = "modeled",
        WarmStart = warmStart,
        JoinSeconds = joinSeconds,
        DurationSeconds = durationSeconds,
        TimelineIntervalSeconds = 10,
        Network = new NetworkSettings { Latency = "geo", JitterMs = 2 },
        Workload = new WorkloadSettings
        {
            StartSeconds = warmStart ? 5 : joinSeconds + 10,
            PutsPerSecond = 1,
            GetsPerSecond = 4,
            SignedPutsPerSecond = 0.2,
            LookupsPerSecond = 1,
            ValueBytes = 100,
            SignedKeys = 4,
        },
    };

    /// <summary>Runs <paramref name="scenario"/> to its end and checks the datagram accounting; the caller disposes the world.</summary>
    public static SimWorld Run(Scenario scenario, bool realCrypto = false)
    {
        var world = new SimWorld(scenario, realCrypto);
        var wall = Stopwatch.StartNew();
        world.Run();
        Console.WriteLine($"[{scenario.Name} seed {scenario.Seed}] {scenario.Nodes} nodes, {scenario.DurationSeconds} s simulated, {world.Events} events in {wall.Elapsed.TotalSeconds:0.0} s wall; {Describe(world.Operations)}");
        var a = world.Accounting;
        Assert.IsTrue(a.Balances, $"accounting does not balance: sent {a.Sent} + duplicated {a.Duplicated} != delivered {a.Delivered} + dropped {a.DroppedTotal} + in flight {a.InFlight}; seed {scenario.Seed}");
        return world;
    }

    public static bool IsGet(OperationRecord o) => o.Kind is "get" or "signedGet";

    /// <summary>"n/total (rate)" of the GETs in <paramref name="ops"/> that started at or after <paramref name="fromSeconds"/>.</summary>
    public static (int Ok, int Total) Gets(IEnumerable<OperationRecord> ops, double fromSeconds = 0)
    {
        var gets = ops.Where(o => IsGet(o) && o.StartSeconds >= fromSeconds).ToList();
        return (gets.Count(o => o.Success), gets.Count);
    }

    public static string Describe(IEnumerable<OperationRecord> ops) => string.Join(", ", ops.GroupBy(o => o.Kind).OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => $"{g.Key} {g.Count(o => o.Success)}/{g.Count()}"));
}
