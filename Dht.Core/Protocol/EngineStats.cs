using Dht.Wire;

namespace Dht.Protocol;

/// <summary>Counters kept by the engine. Read on the engine's thread (drivers copy them).</summary>
internal sealed class EngineStats
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];

    public long DatagramsReceived { get; set; }

    public long BytesReceived { get; set; }

    public long DatagramsSent { get; set; }

    public long BytesSent { get; set; }

    public long TransmitQueueDrops { get; set; }

    public long RequestsSent { get; set; }

    public long RequestTimeouts { get; set; }

    public long RequestsServed { get; set; }

    public long AmplificationLimited { get; set; }

    /// <summary>Records received in VALUE answers that failed validation (forged, mismatched, stale): never believed.</summary>
    public long RecordsRejected { get; set; }

    public long DroppedTotal { get; private set; }

    public long Dropped(DropReason reason) => _drops[(int)reason];

    public void CountDrop(DropReason reason)
    {
        _drops[(int)reason]++;
        DroppedTotal++;
    }

    public IReadOnlyDictionary<string, long> DropsByReason()
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            if (_drops[(int)reason] > 0)
            {
                result[reason.ToString()] = _drops[(int)reason];
            }
        }

        return result;
    }
}
