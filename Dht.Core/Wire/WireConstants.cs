namespace Dht.Wire;

/// <summary>Sizes of the wire format (docs/protocol.md is the byte-level description).</summary>
internal static class WireConstants
{
    /// <summary>The protocol version byte of every datagram.</summary>
    public const byte Version = 1;

    /// <summary>The largest datagram sent or accepted: the IPv6 minimum MTU, as discv5 does.</summary>
    public const int MaxDatagramSize = 1280;

    public const byte PacketSealed = 0x01;
    public const byte PacketWhoAreYou = 0x02;
    public const byte PacketIdentity = 0x03;

    /// <summary>version(1) type(1) sender id(32) nonce(12).</summary>
    public const int SealedHeaderSize = 2 + NodeId.Size + Security.SessionKey.NonceSize;

    /// <summary>Header plus AEAD tag: what sealing adds to a message.</summary>
    public const int SealedOverhead = SealedHeaderSize + Security.SessionKey.TagSize;

    /// <summary>The largest plaintext message that fits one datagram.</summary>
    public const int MaxMessageSize = MaxDatagramSize - SealedOverhead;

    /// <summary>WHOAREYOU probes: version(1) type(1) probe id(8), zero-padded to this size so the reply is smaller.</summary>
    public const int ProbeSize = 64;

    /// <summary>IDENTITY reply: version(1) type(1) probe id(8) node id(32).</summary>
    public const int IdentitySize = 2 + 8 + NodeId.Size;

    public const int TokenSize = 16;

    /// <summary>type(1) request id(8) token flag(1) [token(16)].</summary>
    public const int RequestHeaderMax = 1 + 8 + 1 + TokenSize;

    /// <summary>type(1) request id(8) token(16).</summary>
    public const int ResponseHeaderSize = 1 + 8 + TokenSize;

    public const int MaxSaltSize = 64;
    public const int SignatureSize = 64;

    /// <summary>Record encoding without the value: kind(1) pk(32) salt length(1) salt(≤64) seq(8) value length(2) signature(64).</summary>
    public const int MaxRecordOverhead = 1 + 32 + 1 + MaxSaltSize + 8 + 2 + SignatureSize;

    /// <summary>STORE request fixed part after the request header: flags(1) cas(8) ttl seconds(4).</summary>
    public const int StoreFixedSize = 1 + 8 + 4;

    /// <summary>The largest value any record can carry so that a STORE with maximal salt and a CAS fits one datagram.</summary>
    public const int MaxValueSize = MaxMessageSize - RequestHeaderMax - StoreFixedSize - MaxRecordOverhead;

    /// <summary>Contact encoding: family(1) address(4|16) port(2) id(32).</summary>
    public const int MaxContactSize = 1 + 16 + 2 + NodeId.Size;
}
