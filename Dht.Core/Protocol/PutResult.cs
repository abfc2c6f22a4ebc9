namespace Dht;

/// <summary>The outcome of a PUT: how many of the closest nodes stored the record, and why others refused.</summary>
public sealed class PutResult
{
    internal PutResult(NodeId key, int acknowledged, int attempted, IReadOnlyDictionary<RecordRejection, int> rejections, RecordRejection localResult)
    {
        Key = key;
        Acknowledged = acknowledged;
        Attempted = attempted;
        Rejections = rejections;
        LocalResult = localResult;
    }

    /// <summary>The record's key: SHA-256 of the value (immutable) or of public key and salt (signed).</summary>
    public NodeId Key { get; }

    /// <summary>How many remote nodes among the k closest acknowledged the STORE.</summary>
    public int Acknowledged { get; }

    /// <summary>How many remote nodes a STORE was sent to (the k closest that answered the lookup).</summary>
    public int Attempted { get; }

    /// <summary>Remote refusals by reason (for example <see cref="RecordRejection.SequenceTooLow"/> or <see cref="RecordRejection.CasMismatch"/>).</summary>
    public IReadOnlyDictionary<RecordRejection, int> Rejections { get; }

    /// <summary>What the local store said: <see cref="RecordRejection.None"/> when this node keeps (and republishes) the record.</summary>
    public RecordRejection LocalResult { get; }

    /// <summary>True when at least one remote node acknowledged.</summary>
    public bool Succeeded => Acknowledged > 0;

    /// <summary>A one-line summary.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() => $"{Key}: {Acknowledged}/{Attempted} acknowledged";
}
