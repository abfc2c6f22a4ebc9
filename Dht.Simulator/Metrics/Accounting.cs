namespace Dht.Simulator.Metrics;

/// <summary>Where every datagram went. Sent + Duplicated = Delivered + dropped (all reasons) + InFlight.</summary>
internal sealed class Accounting
{
    public long Sent { get; set; }

    public long Bytes { get; set; }

    public long Duplicated { get; set; }

    public long Delivered { get; set; }

    public long DroppedLoss { get; set; }

    public long DroppedBurst { get; set; }

    public long DroppedPartition { get; set; }

    public long DroppedNodeDown { get; set; }

    public long DroppedNat { get; set; }

    public long DroppedNoSuchAddress { get; set; }

    public long InFlight { get; set; }

    public long DroppedTotal => DroppedLoss + DroppedBurst + DroppedPartition + DroppedNodeDown + DroppedNat + DroppedNoSuchAddress;

    public bool Balances => Sent + Duplicated == Delivered + DroppedTotal + InFlight;
}
