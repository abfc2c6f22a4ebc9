using System.Text.Json.Serialization;
using Dht.Simulator.Metrics;

namespace Dht.Simulator.Output;

/// <summary>summary.json: one run. Field names are fixed; tools read them.</summary>
internal sealed class RunSummary
{
    public required string Scenario { get; init; }

    public required ulong Seed { get; init; }

    public required int Nodes { get; init; }

    /// <summary>"real" or "modeled" (what "auto" resolved to).</summary>
    public required string Crypto { get; init; }

    public required bool WarmStart { get; init; }

    public required string TraceHash { get; init; }

    public required double SimulatedSeconds { get; init; }

    public required double WallSeconds { get; init; }

    public required long Events { get; init; }

    /// <summary>Events per wall second of the event loop (setup and the final checks excluded: see <see cref="SetupSeconds"/>).</summary>
    public required double EventsPerSecond { get; init; }

    /// <summary>Wall seconds before the first event: creating nodes, warm start.</summary>
    public required double SetupSeconds { get; init; }

    public required long AllocatedBytesPerEvent { get; init; }

    /// <summary>Share of the event loop's wall time spent in garbage-collection pauses.</summary>
    public required double GcPauseFraction { get; init; }

    /// <summary>Collections during the event loop: gen0, gen1, gen2 (a gen-2 collection counts in all three).</summary>
    public required IReadOnlyList<int> GcCollections { get; init; }

    /// <summary>
    /// The collector's conserve-memory level the run had (0-9; 9 from the simulator's runtime configuration unless
    /// overridden): it moves the peak working set and the collector's time, never the trace.
    /// </summary>
    public required long GcConserveMemory { get; init; }

    public required long PeakWorkingSetBytes { get; init; }

    /// <summary>Bytes the simulator reserved for datagrams in flight (their peak, rounded up to slot sizes and chunks).</summary>
    public required long InFlightBytesReserved { get; init; }

    public required double RttMedianMs { get; init; }

    /// <summary>Kinds "get" and "signedGet".</summary>
    public required OperationSummary Gets { get; init; }

    /// <summary>Kinds "put" and "signedPut".</summary>
    public required OperationSummary Puts { get; init; }

    /// <summary>Kind "lookup" (with roundsToClosest and recallK).</summary>
    public required OperationSummary Lookups { get; init; }

    public required OperationSummary ImmutableGets { get; init; }

    public required OperationSummary SignedGets { get; init; }

    public required OperationSummary ImmutablePuts { get; init; }

    public required OperationSummary SignedPuts { get; init; }

    public required IReadOnlyList<string> Violations { get; init; }

    public required Accounting Accounting { get; init; }
}

internal sealed class OperationSummary
{
    public required int Count { get; init; }

    public required int Succeeded { get; init; }

    public required double SuccessRate { get; init; }

    /// <summary>Over succeeded operations.</summary>
    public required Percentiles LatencyMs { get; init; }

    /// <summary>Latency percentiles divided by the median RTT.</summary>
    public required RttPercentiles LatencyRtt { get; init; }

    /// <summary>Over succeeded operations.</summary>
    public required HopStats Hops { get; init; }

    /// <summary>Over all operations (failed ones cost messages too).</summary>
    public required MeanStat Messages { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MeanStat? RoundsToClosest { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RecallK { get; init; }
}

internal sealed record Percentiles(double P50, double P90, double P99, double Max);

internal sealed record RttPercentiles(double P50, double P90, double P99);

internal sealed record HopStats(double Mean, double P99);

internal sealed record MeanStat(double Mean);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(RunSummary))]
internal sealed partial class SummaryJsonContext : JsonSerializerContext;
