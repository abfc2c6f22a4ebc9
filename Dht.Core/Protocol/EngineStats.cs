using Dht.Wire;

namespace Dht.Protocol;

/// <summary>Counters kept by the engine. Read on the engine's thread (drivers copy them).</summary>
/// <remarks>
/// A struct held inline in the engine object (<see cref="DhtEngine.Stats"/> hands out a read-only reference): every
/// datagram received or sent updates two counters, and as an object of its own the counters were one more cache miss
/// per event at 10^5 simulated engines.
/// </remarks>
internal struct EngineStats
{
    private static readonly int DropReasonCount = Enum.GetValues<DropReason>().Length;

    // Per reason, created by the first drop (the simulator keeps one of these per engine).
    private long[]? _drops;

    public long DatagramsReceived { get; set; }

    public long BytesReceived { get; set; }

    public long DatagramsSent { get; set; }

    public long BytesSent { get; set; }

    public long TransmitQueueDrops { get; set; }

    public long RequestsSent { get; set; }

    public long RequestTimeouts { get; set; }

    public long RequestsServed { get; set; }

    public long AmplificationLimited { get; set; }

    /// <summary>Refresh lookups started for buckets with no lookup into them and no traffic from their range for a refresh interval.</summary>
    public long BucketRefreshes { get; set; }

    /// <summary>Records received in VALUE answers that failed validation (forged, mismatched, stale): never believed.</summary>
    public long RecordsRejected { get; set; }

    public long DroppedTotal { get; private set; }

    public readonly long Dropped(DropReason reason) => _drops?[(int)reason] ?? 0;

    public void CountDrop(DropReason reason)
    {
        (_drops ??= new long[DropReasonCount])[(int)reason]++;
        DroppedTotal++;
    }

    public readonly IReadOnlyDictionary<string, long> DropsByReason()
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            if (Dropped(reason) > 0)
            {
                result[reason.ToString()] = Dropped(reason);
            }
        }

        return result;
    }
}
