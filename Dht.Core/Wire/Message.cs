using Dht.Protocol;

namespace Dht.Wire;

/// <summary>
/// One decoded (or to-be-encoded) message: the plaintext inside a sealed packet. Fields not used by
/// <see cref="Type"/> keep their defaults.
/// </summary>
internal sealed class Message
{
    public MessageType Type { get; set; }

    public ulong RequestId { get; set; }

    /// <summary>Requests: whether <see cref="Token"/> is present. Responses always carry a token.</summary>
    public bool HasToken { get; set; }

    /// <summary>Requests: the address token the recipient issued earlier. Responses: a token for the requester's address.</summary>
    public UInt128 Token { get; set; }

    /// <summary>FIND_NODE target or FIND_VALUE key.</summary>
    public NodeId Target { get; set; }

    /// <summary>STORE and VALUE: the record.</summary>
    public DhtRecord? Record { get; set; }

    /// <summary>STORE and VALUE: remaining lifetime in seconds.</summary>
    public uint TtlSeconds { get; set; }

    /// <summary>STORE: whether <see cref="Cas"/> is set.</summary>
    public bool HasCas { get; set; }

    /// <summary>STORE: the sequence number the writer expects to be stored (compare-and-swap).</summary>
    public long Cas { get; set; }

    /// <summary>PONG: the requester's address as the responder saw it.</summary>
    public PeerAddress ObservedAddress { get; set; }

    /// <summary>NODES: how many NODES datagrams answer this request in total (1 when everything fits).</summary>
    public byte Total { get; set; } = 1;

    /// <summary>NODES: the contacts.</summary>
    public IReadOnlyList<WireContact> Contacts { get; set; } = [];

    /// <summary>STORED: 0 on success, otherwise a <see cref="RecordRejection"/> value.</summary>
    public byte ResultCode { get; set; }

    /// <summary>STORED: the sequence number now stored under the key (-1 when none).</summary>
    public long StoredSequence { get; set; } = -1;

    /// <summary>ERROR: the code.</summary>
    public ErrorCode Error { get; set; }

    public bool IsRequest => ((byte)Type & 0x80) == 0;

    /// <summary>Back to a freshly constructed message (every field at its default).</summary>
    public void Reset()
    {
        Type = default;
        RequestId = 0;
        HasToken = false;
        Token = default;
        Target = default;
        Record = null;
        TtlSeconds = 0;
        HasCas = false;
        Cas = 0;
        ObservedAddress = default;
        Total = 1;
        Contacts = [];
        ResultCode = 0;
        StoredSequence = -1;
        Error = default;
    }
}
