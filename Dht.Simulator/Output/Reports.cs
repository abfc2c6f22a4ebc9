using System.Globalization;
using System.Text;
using System.Text.Json;
using Dht.Simulator.Metrics;
using Dht.Simulator.Scenarios;
using Dht.Simulator.World;

namespace Dht.Simulator.Output;

/// <summary>Builds summary.json and writes it with lookups.csv and timeline.csv. Reads the world; never changes it.</summary>
internal static class Reports
{
    public static readonly string[] GetKinds = ["get", "signedGet"];
    public static readonly string[] PutKinds = ["put", "signedPut"];
    public static readonly string[] LookupKinds = ["lookup"];

    public static RunSummary Summarize(Scenario scenario, SimWorld world, double rttMedianMs, double wallSeconds, long peakWorkingSet)
    {
        var ops = world.Operations;
        return new RunSummary
        {
            Scenario = scenario.Name,
            Seed = scenario.Seed,
            Nodes = scenario.Nodes,
            Crypto = world.RealCrypto ? "real" : "modeled",
            WarmStart = world.WarmStarted,
            TraceHash = world.TraceHash,
            SimulatedSeconds = world.EndSeconds,
            WallSeconds = Math.Round(wallSeconds, 3),
            Events = world.Events,
            EventsPerSecond = Math.Round(world.EventLoopWallSeconds > 0 ? world.Events / world.EventLoopWallSeconds : 0, 1),
            SetupSeconds = Math.Round(world.SetupWallSeconds, 3),
            AllocatedBytesPerEvent = world.Events > 0 ? world.AllocatedBytes / world.Events : 0,
            GcPauseFraction = world.EventLoopWallSeconds > 0 ? Math.Round(world.GcPauseSeconds / world.EventLoopWallSeconds, 3) : 0,
            GcCollections = world.GcCollections,
            GcConserveMemory = GC.GetConfigurationVariables().TryGetValue("GCConserveMem", out var conserve) ? Convert.ToInt64(conserve, System.Globalization.CultureInfo.InvariantCulture) : 0,
            PeakWorkingSetBytes = peakWorkingSet,
            InFlightBytesReserved = world.InFlightBytesReserved,
            RttMedianMs = Math.Round(rttMedianMs, 3),
            Gets = Summarize(ops, GetKinds, rttMedianMs, lookup: false),
            Puts = Summarize(ops, PutKinds, rttMedianMs, lookup: false),
            Lookups = Summarize(ops, LookupKinds, rttMedianMs, lookup: true),
            ImmutableGets = Summarize(ops, ["get"], rttMedianMs, lookup: false),
            SignedGets = Summarize(ops, ["signedGet"], rttMedianMs, lookup: false),
            ImmutablePuts = Summarize(ops, ["put"], rttMedianMs, lookup: false),
            SignedPuts = Summarize(ops, ["signedPut"], rttMedianMs, lookup: false),
            Violations = [.. world.Violations],
            Accounting = world.Accounting,
        };
    }

    public static OperationSummary Summarize(IReadOnlyList<OperationRecord> all, string[] kinds, double rttMedianMs, bool lookup)
    {
        var ops = all.Where(o => kinds.Contains(o.Kind, StringComparer.Ordinal)).ToList();
        var ok = ops.Where(o => o.Success).ToList();
        var latency = ok.Select(o => o.LatencyMs).Order().ToArray();
        var hops = ok.Select(o => (double)o.Hops).Order().ToArray();
        double Rtt(double ms) => rttMedianMs > 0 ? Math.Round(ms / rttMedianMs, 4) : 0;
        var p50 = Percentile(latency, 50);
        var p90 = Percentile(latency, 90);
        var p99 = Percentile(latency, 99);
        return new OperationSummary
        {
            Count = ops.Count,
            Succeeded = ok.Count,
            SuccessRate = ops.Count == 0 ? 0 : Math.Round(ok.Count / (double)ops.Count, 6),
            LatencyMs = new Percentiles(Math.Round(p50, 3), Math.Round(p90, 3), Math.Round(p99, 3), Math.Round(latency.Length == 0 ? 0 : latency[^1], 3)),
            LatencyRtt = new RttPercentiles(Rtt(p50), Rtt(p90), Rtt(p99)),
            Hops = new HopStats(Mean(hops), Percentile(hops, 99)),
            Messages = new MeanStat(Mean(ops.Select(o => (double)o.Messages))),
            RoundsToClosest = lookup ? new MeanStat(Mean(ops.Where(o => o.RoundsToClosest is not null).Select(o => (double)o.RoundsToClosest!.Value))) : null,
            RecallK = lookup ? Mean(ops.Where(o => o.RecallK is not null).Select(o => o.RecallK!.Value)) : null,
        };
    }

    /// <summary>Nearest-rank percentile of sorted values; 0 for none.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    private static double Mean(IEnumerable<double> values)
    {
        var sum = 0.0;
        var n = 0;
        foreach (var v in values)
        {
            sum += v;
            n++;
        }

        return n == 0 ? 0 : Math.Round(sum / n, 4);
    }

    public static void WriteAll(string dir, RunSummary summary, SimWorld world)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "summary.json"), JsonSerializer.Serialize(summary, SummaryJsonContext.Default.RunSummary) + "\n");
        WriteLookups(Path.Combine(dir, "lookups.csv"), world.Operations);
        WriteTimeline(Path.Combine(dir, "timeline.csv"), world.Timeline);
    }

    private static string F(double value, string format = "0.###") => value.ToString(format, CultureInfo.InvariantCulture);

    private static void WriteLookups(string path, IReadOnlyList<OperationRecord> ops)
    {
        var sb = new StringBuilder("startSeconds,kind,success,latencyMs,hops,messages,roundsToClosest,recallK\n");
        foreach (var o in ops)
        {
            sb.Append(F(o.StartSeconds, "0.######")).Append(',')
                .Append(o.Kind).Append(',')
                .Append(o.Success ? "true" : "false").Append(',')
                .Append(F(o.LatencyMs)).Append(',')
                .Append(o.Hops.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(o.Messages.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(o.RoundsToClosest?.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(o.RecallK is { } r ? F(r, "0.####") : "").Append('\n');
        }

        File.WriteAllText(path, sb.ToString());
    }

    private static void WriteTimeline(string path, IReadOnlyList<TimelineRow> rows)
    {
        var sb = new StringBuilder("endSeconds,liveNodes,operations,successRate,messages,bytes\n");
        foreach (var r in rows)
        {
            sb.Append(F(r.EndSeconds)).Append(',')
                .Append(r.LiveNodes.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(r.Operations.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(r.Operations == 0 ? "" : F(r.Succeeded / (double)r.Operations, "0.######")).Append(',')
                .Append(r.Messages.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(r.Bytes.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        File.WriteAllText(path, sb.ToString());
    }
}
