namespace Dht.Simulator.Metrics;

/// <summary>One row of lookups.csv: one workload operation.</summary>
internal sealed record OperationRecord(
    double StartSeconds,
    string Kind,
    bool Success,
    double LatencyMs,
    int Hops,
    int Messages,
    int? RoundsToClosest,
    double? RecallK);
