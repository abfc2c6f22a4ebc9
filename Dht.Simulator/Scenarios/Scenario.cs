using System.Text.Json.Serialization;

namespace Dht.Simulator.Scenarios;

/// <summary>
/// One experiment, read from JSON (docs/simulator.md documents every field). All randomness in a run derives from
/// <see cref="Seed"/>; times are in simulated seconds unless the name says otherwise.
/// </summary>
internal sealed class Scenario
{
    public string Name { get; set; } = "unnamed";

    public ulong Seed { get; set; } = 1;

    public int Nodes { get; set; } = 1000;

    /// <summary>"real" (NSec), "modeled" (cheap stand-in, same sizes) or "auto" (real up to 10,000 nodes).</summary>
    public string Crypto { get; set; } = "auto";

    /// <summary>Pre-fill routing tables from global knowledge instead of joining through bootstrap (PeerSim style).</summary>
    public bool WarmStart { get; set; }

    /// <summary>Joining nodes (without warm start) arrive spread over this many seconds, each bootstrapping for real.</summary>
    public double JoinSeconds { get; set; } = 60;

    public double DurationSeconds { get; set; } = 600;

    public int K { get; set; } = 20;

    public int Alpha { get; set; } = 3;

    /// <summary>Optimistic PUT (engine option PutReturnQuorum): report after this many STORE acknowledgements; null = wait for all.</summary>
    public int? PutReturnQuorum { get; set; }

    /// <summary>
    /// Engine option NearKeyParallelism: extra requests a GET or optimistic PUT may send at once to candidates estimated
    /// to be among the k closest to the key (0 = off; default 3, the engine's default).
    /// </summary>
    public int NearKeyParallelism { get; set; } = 3;

    /// <summary>
    /// Engine option MaxSessions: per-peer sessions (key, replay window, the peer's address token) each node keeps, least
    /// recently used evicted. In steady state a node talks to far more peers than this, so it bounds per-node memory.
    /// </summary>
    public int MaxSessions { get; set; } = 256;

    /// <summary>
    /// Engine option SessionIdleTimeout, in seconds: a session unused this long is dropped at the next maintenance tick.
    /// The default (600 s) keeps every session while the address token it holds can be valid; shorter trades tokens
    /// (the next request to that peer may need its answer padded again) for memory.
    /// </summary>
    public double SessionIdleSeconds { get; set; } = 600;

    /// <summary>Routing option BucketSplitBits: accelerated lookups with 2^b sub-buckets per bucket (0 = classic Kademlia).</summary>
    public int BucketSplitBits { get; set; }

    public double RecordTtlSeconds { get; set; } = 7200;

    public double RepublishSeconds { get; set; } = 3600;

    public double ReplicationSeconds { get; set; } = 3600;

    public double TimelineIntervalSeconds { get; set; } = 10;

    /// <summary>Per-node clock drift drawn uniformly from ±this many parts per million.</summary>
    public double ClockDriftPpm { get; set; }

    /// <summary>Fraction of nodes that die silently when the workload starts, leaving dead contacts in every table.</summary>
    public double DeadContactFraction { get; set; }

    public NetworkSettings Network { get; set; } = new();

    public ChurnSettings Churn { get; set; } = new();

    public WorkloadSettings Workload { get; set; } = new();

    public ChecksSettings Checks { get; set; } = new();
}

internal sealed class NetworkSettings
{
    /// <summary>"geo" (synthetic clusters on the globe), "constant" or "matrix" (RTT matrix file).</summary>
    public string Latency { get; set; } = "geo";

    /// <summary>Clusters of nodes on the globe for the geo model.</summary>
    public int Clusters { get; set; } = 8;

    /// <summary>Spread of a cluster in kilometres.</summary>
    public double ClusterRadiusKm { get; set; } = 800;

    /// <summary>Per-node access delay (one way, ms), uniform in [min, max].</summary>
    public double AccessDelayMinMs { get; set; } = 5;

    public double AccessDelayMaxMs { get; set; } = 40;

    /// <summary>One-way delay for the constant model.</summary>
    public double ConstantDelayMs { get; set; } = 50;

    /// <summary>RTT matrix (CSV of milliseconds, square): node i uses row i mod size.</summary>
    public string? MatrixFile { get; set; }

    /// <summary>Uniform jitter added to each datagram's one-way delay, [0, this) ms; it also reorders datagrams.</summary>
    public double JitterMs { get; set; } = 2;

    /// <summary>Independent loss probability per datagram.</summary>
    public double Loss { get; set; }

    /// <summary>Gilbert-Elliott bursty loss per link direction: probability to enter the bad state per datagram.</summary>
    public double BurstEnter { get; set; }

    public double BurstExit { get; set; } = 0.3;

    public double BurstLoss { get; set; } = 0.5;

    /// <summary>Probability that a datagram is delivered twice.</summary>
    public double Duplication { get; set; }

    /// <summary>Fraction of nodes behind NAT: they receive only from peers they sent to recently.</summary>
    public double NatFraction { get; set; }

    public double NatMappingSeconds { get; set; } = 120;

    public List<PartitionSettings> Partitions { get; set; } = [];
}

internal sealed class PartitionSettings
{
    public double StartSeconds { get; set; }

    public double EndSeconds { get; set; }

    /// <summary>Fraction of nodes on the minority side; datagrams between the sides are dropped.</summary>
    public double Fraction { get; set; } = 0.5;
}

internal sealed class ChurnSettings
{
    /// <summary>"none", "exponential" or "weibull".</summary>
    public string Model { get; set; } = "none";

    public double SessionScaleMinutes { get; set; } = 250;

    public double SessionShape { get; set; } = 0.65;

    public double DowntimeScaleMinutes { get; set; } = 60;

    public double DowntimeShape { get; set; } = 1.0;

    /// <summary>Churn starts at this time (after joining settles).</summary>
    public double StartSeconds { get; set; }
}

internal sealed class WorkloadSettings
{
    public double StartSeconds { get; set; } = 90;

    /// <summary>Writes (immutable and signed) stop at this time; null = never. GETs continue to the end.</summary>
    public double? StopWritesSeconds { get; set; }

    public double PutsPerSecond { get; set; } = 1;

    public double GetsPerSecond { get; set; } = 5;

    public double SignedPutsPerSecond { get; set; }

    public double LookupsPerSecond { get; set; } = 1;

    public int ValueBytes { get; set; } = 200;

    /// <summary>Signed records written by the workload (each update picks one and increments its seq).</summary>
    public int SignedKeys { get; set; } = 10;

    public int MaxOperations { get; set; } = 1_000_000;
}

internal sealed class ChecksSettings
{
    public bool Durability { get; set; } = true;

    public bool LatestSequence { get; set; } = true;

    public bool RoutingInvariants { get; set; } = true;

    /// <summary>After the last partition heals: GET success over the final interval must reach this fraction.</summary>
    public double ConvergenceSuccess { get; set; } = 0.99;

    /// <summary>Test-only: stores go to a single node, to prove the durability checker catches broken replication.</summary>
    public bool BreakReplication { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    WriteIndented = true)]
[JsonSerializable(typeof(Scenario))]
internal sealed partial class ScenarioJsonContext : JsonSerializerContext;
