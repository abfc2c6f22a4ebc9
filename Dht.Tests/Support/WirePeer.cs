using System.Buffers.Binary;
using Dht.Protocol;
using Dht.Security;
using Dht.Wire;

namespace Dht.Tests.Support;

/// <summary>
/// A hand-driven remote node for engine tests: it builds sealed datagrams the way a real peer would (header
/// version 0x01, type 0x01, sender id, 12-byte nonce; the 46-byte header is the AEAD associated data) and opens what
/// the engine sends back. Nonces come from a seeded generator, so every datagram is reproducible.
/// </summary>
internal sealed class WirePeer : IDisposable
{
    private readonly Xoshiro256 _rng;
    private readonly NSecCryptoSuite _crypto;

    public WirePeer(DhtIdentity identity, NodeId engineId, PeerAddress address, ulong seed)
    {
        Identity = identity;
        Address = address;
        _rng = new Xoshiro256(seed);
        _crypto = new NSecCryptoSuite(identity);
        Key = SuiteKey.Derive(_crypto, engineId) ?? throw new InvalidOperationException("engine id is not a usable key");
    }

    public DhtIdentity Identity { get; }

    public NodeId Id => Identity.Id;

    public PeerAddress Address { get; }

    /// <summary>The static-static session key this peer shares with the engine.</summary>
    public SuiteKey Key { get; }

    /// <summary>Seals <paramref name="plaintext"/> under <paramref name="key"/>, claiming <paramref name="sender"/> in the header.</summary>
    public static byte[] Seal(SuiteKey key, NodeId sender, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext)
    {
        var datagram = new byte[WireConstants.SealedOverhead + plaintext.Length];
        datagram[0] = WireConstants.Version;
        datagram[1] = WireConstants.PacketSealed;
        sender.WriteTo(datagram.AsSpan(2));
        nonce.CopyTo(datagram.AsSpan(2 + NodeId.Size));
        key.Seal(nonce, datagram.AsSpan(0, WireConstants.SealedHeaderSize), plaintext, datagram.AsSpan(WireConstants.SealedHeaderSize));
        return datagram;
    }

    /// <summary>Opens a sealed datagram with <paramref name="key"/>; null when it is not a sealed packet or does not authenticate.</summary>
    public static byte[]? Open(SuiteKey key, ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < WireConstants.SealedOverhead || datagram[0] != WireConstants.Version || datagram[1] != WireConstants.PacketSealed)
        {
            return null;
        }

        var plaintext = new byte[datagram.Length - WireConstants.SealedOverhead];
        var header = datagram[..WireConstants.SealedHeaderSize];
        return key.TryOpen(header[(2 + NodeId.Size)..], header, datagram[WireConstants.SealedHeaderSize..], plaintext) ? plaintext : null;
    }

    public static byte[] Encode(Message m, int padding = 0)
    {
        var bytes = new byte[MessageCodec.GetEncodedLength(m) + padding];
        MessageCodec.Encode(m, bytes, padding);
        return bytes;
    }

    /// <summary>A WHOAREYOU probe: 0x01 0x02 probe id (8), zero-padded to 64 bytes, then cut or padded to <paramref name="size"/>.</summary>
    public static byte[] WhoAreYou(ulong probeId, int size = WireConstants.ProbeSize)
    {
        var probe = new byte[Math.Max(size, WireConstants.ProbeSize)];
        probe[0] = WireConstants.Version;
        probe[1] = WireConstants.PacketWhoAreYou;
        BinaryPrimitives.WriteUInt64BigEndian(probe.AsSpan(2), probeId);
        return probe[..size];
    }

    /// <summary>An IDENTITY reply: 0x01 0x03 probe id (8) node id (32).</summary>
    public static byte[] IdentityReply(ulong probeId, NodeId id)
    {
        var reply = new byte[WireConstants.IdentitySize];
        reply[0] = WireConstants.Version;
        reply[1] = WireConstants.PacketIdentity;
        BinaryPrimitives.WriteUInt64BigEndian(reply.AsSpan(2), probeId);
        id.WriteTo(reply.AsSpan(10));
        return reply;
    }

    public byte[] NextNonce()
    {
        var nonce = new byte[SessionKey.NonceSize];
        _rng.NextBytes(nonce);
        return nonce;
    }

    /// <summary>Seals raw plaintext from this peer with a fresh nonce.</summary>
    public byte[] SealPlaintext(ReadOnlySpan<byte> plaintext) => Seal(Key, Id, NextNonce(), plaintext);

    /// <summary>Encodes and seals <paramref name="m"/> from this peer, zero-padding the plaintext by <paramref name="padding"/>.</summary>
    public byte[] Seal(Message m, int padding = 0) => SealPlaintext(Encode(m, padding));

    /// <summary>Decodes a datagram the engine sent to this peer; fails the test when it does not open or decode.</summary>
    public Message OpenMessage(ReadOnlySpan<byte> datagram, string context)
    {
        var plaintext = Open(Key, datagram);
        Assert.IsNotNull(plaintext, $"datagram does not open with {Id}'s session key; {context}");
        Assert.AreEqual(DropReason.None, MessageCodec.TryDecode(plaintext, out var m), context);
        return m!;
    }

    /// <summary>Sends <paramref name="datagram"/> to the engine from this peer's address.</summary>
    public void Send(DhtEngine engine, Instant now, byte[] datagram) => engine.HandleDatagram(now, Address, datagram);

    public void Dispose() => _crypto.Dispose();

    /// <summary>Drains everything the engine queued for sending.</summary>
    public static List<(PeerAddress To, byte[] Data)> Drain(DhtEngine engine)
    {
        var sent = new List<(PeerAddress, byte[])>();
        var buffer = new byte[WireConstants.MaxDatagramSize];
        while (engine.TryPollTransmit(buffer, out var to, out var length))
        {
            sent.Add((to, buffer.AsSpan(0, length).ToArray()));
        }

        return sent;
    }
}

/// <summary>
/// A session key together with the suite that derived it, so tests seal and open the way the engine does (through
/// <see cref="ICryptoSuite.Seal"/> and <see cref="ICryptoSuite.TryOpen"/>).
/// </summary>
internal sealed class SuiteKey
{
    private readonly ICryptoSuite _suite;
    private readonly SessionKey _key;

    private SuiteKey(ICryptoSuite suite, in SessionKey key)
    {
        _suite = suite;
        _key = key;
    }

    /// <summary>The key <paramref name="suite"/> shares with <paramref name="remote"/>; null when it refuses the id.</summary>
    public static SuiteKey? Derive(ICryptoSuite suite, NodeId remote) =>
        suite.TryDeriveSessionKey(remote, out var key) ? new SuiteKey(suite, key) : null;

    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext) =>
        _suite.Seal(_key, nonce, associatedData, plaintext, ciphertext);

    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext) =>
        _suite.TryOpen(_key, nonce, associatedData, ciphertext, plaintext);
}
