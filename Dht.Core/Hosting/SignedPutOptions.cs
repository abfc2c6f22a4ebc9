namespace Dht;

/// <summary>Options of <see cref="DhtNode.PutSignedAsync"/>.</summary>
public sealed class SignedPutOptions
{
    /// <summary>Salt (at most 64 bytes): one key can publish several records, one per salt. Empty by default.</summary>
    public ReadOnlyMemory<byte> Salt { get; set; }

    /// <summary>Sequence number to publish. Null (the default) reads the current record and uses its sequence + 1 (1 when none exists).</summary>
    public long? Sequence { get; set; }

    /// <summary>Compare-and-swap: storers accept the write only if the sequence they hold equals this value.</summary>
    public long? CompareAndSwap { get; set; }
}
