using System.Diagnostics;
using System.Text.Json;
using Dht.Simulator.Scenarios;
using Dht.Simulator.World;

namespace Dht.Simulator;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 2 || args[0] != "run")
        {
            Console.Error.WriteLine("usage: dht-sim run <scenario.json> [--seed N] [--nodes N] [--out DIR]");
            return 2;
        }

        var scenario = JsonSerializer.Deserialize(File.ReadAllText(args[1]), ScenarioJsonContext.Default.Scenario)!;
        for (var i = 2; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seed":
                    scenario.Seed = ulong.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--nodes":
                    scenario.Nodes = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
                    break;
            }
        }

        var real = scenario.Crypto == "real" || (scenario.Crypto == "auto" && scenario.Nodes <= 10_000);
        var wall = Stopwatch.StartNew();
        using var world = new SimWorld(scenario, real, Console.WriteLine);
        Console.WriteLine($"setup {wall.Elapsed.TotalSeconds:0.0}s, rtt median {world.MedianRttMs():0.0} ms");
        world.Run();
        var ops = world.Operations;
        foreach (var group in ops.GroupBy(o => o.Kind))
        {
            var lat = group.Select(o => o.LatencyMs).Order().ToArray();
            Console.WriteLine($"{group.Key}: {group.Count()} ops, {group.Count(o => o.Success) / (double)group.Count():P2} ok, p50 {lat[lat.Length / 2]:0} ms, hops {group.Average(o => o.Hops):0.00}, msgs {group.Average(o => o.Messages):0.0}, rounds {group.Where(o => o.RoundsToClosest is not null).Select(o => (double)o.RoundsToClosest!).DefaultIfEmpty().Average():0.00}, recall {group.Where(o => o.RecallK is not null).Select(o => o.RecallK!.Value).DefaultIfEmpty().Average():0.000}");
        }

        Console.WriteLine($"events {world.Events}, wall {wall.Elapsed.TotalSeconds:0.0}s, {world.Events / wall.Elapsed.TotalSeconds:0} ev/s, trace {world.TraceHash}, peak {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:0} MB");
        foreach (var v in world.Violations)
        {
            Console.WriteLine("VIOLATION " + v);
        }

        return world.Violations.Count == 0 ? 0 : 1;
    }
}
