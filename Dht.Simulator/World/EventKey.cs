namespace Dht.Simulator.World;

/// <summary>Event order: time, then the sequence number of scheduling (so equal times replay in the same order).</summary>
internal readonly record struct EventKey(long Time, long Sequence) : IComparable<EventKey>
{
    public int CompareTo(EventKey other)
    {
        var c = Time.CompareTo(other.Time);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }
}
