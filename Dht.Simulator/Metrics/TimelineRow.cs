namespace Dht.Simulator.Metrics;

/// <summary>One row of timeline.csv: one simulated interval.</summary>
internal sealed record TimelineRow(
    double EndSeconds,
    int LiveNodes,
    int Operations,
    int Succeeded,
    long Messages,
    long Bytes);
