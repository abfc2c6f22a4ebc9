using Dht.Protocol;
using Dht.Wire;

namespace Dht.Tests.Wire;

/// <summary>
/// One fixed instance of every message type (and variant) with its golden encoding. Shared by the golden-vector and
/// fuzz tests. Every field is a constant: mutable records are signed by the RFC 8032 test-1 key, whose Ed25519
/// signatures are deterministic.
/// </summary>
internal static class GoldenMessages
{
    /// <summary>RFC 8032 section 7.1 TEST 1 secret key; its public key is d75a9801...511a.</summary>
    public static readonly byte[] SignerSeed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

    public const ulong RequestId = 0x0102030405060708UL;

    public static readonly UInt128 Token = new(0x0011223344556677UL, 0x8899AABBCCDDEEFFUL);

    public static readonly NodeId Target = NodeId.Parse("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");

    public static readonly NodeId ContactA = NodeId.Parse("1111111111111111111111111111111111111111111111111111111111111111");

    public static readonly NodeId ContactB = NodeId.Parse("2222222222222222222222222222222222222222222222222222222222222222");

    /// <summary>192.0.2.1:6881 (TEST-NET-1).</summary>
    public static readonly PeerAddress V4 = PeerAddress.FromIPv4([192, 0, 2, 1], 6881);

    /// <summary>[2001:db8::1]:6881 (documentation prefix).</summary>
    public static readonly PeerAddress V6 = PeerAddress.FromIPv6(Convert.FromHexString("20010db8000000000000000000000001"), 6881);

    /// <summary>198.51.100.7:4000 (TEST-NET-2).</summary>
    public static readonly PeerAddress V4b = PeerAddress.FromIPv4([198, 51, 100, 7], 4000);

    /// <summary>[2001:db8::2]:4001.</summary>
    public static readonly PeerAddress V6b = PeerAddress.FromIPv6(Convert.FromHexString("20010db8000000000000000000000002"), 4001);

    public static DhtRecord Immutable() => DhtRecord.CreateImmutable("hello"u8.ToArray());

    /// <summary>Value "v", sequence 5, salt "salt", signed by <see cref="SignerSeed"/>.</summary>
    public static DhtRecord Mutable()
    {
        using var signer = DhtIdentity.FromSeed(SignerSeed);
        return DhtRecord.CreateSigned(signer, "v"u8.ToArray(), 5, "salt"u8.ToArray());
    }

    /// <summary>Every golden message: a name, a factory and the expected encoding in hex.</summary>
    public static IEnumerable<(string Name, Func<Message> Create, string Hex)> All()
    {
        yield return ("PingNoToken", () => new Message { Type = MessageType.Ping, RequestId = RequestId }, GoldenVectorHex.PingNoToken);
        yield return ("PingWithToken", () => new Message { Type = MessageType.Ping, RequestId = RequestId, HasToken = true, Token = Token }, GoldenVectorHex.PingWithToken);
        yield return ("FindNode", () => new Message { Type = MessageType.FindNode, RequestId = RequestId, Target = Target }, GoldenVectorHex.FindNode);
        yield return ("FindValue", () => new Message { Type = MessageType.FindValue, RequestId = RequestId, HasToken = true, Token = Token, Target = Target }, GoldenVectorHex.FindValue);
        yield return ("StoreImmutable", () => new Message { Type = MessageType.Store, RequestId = RequestId, HasToken = true, Token = Token, TtlSeconds = 7200, Record = Immutable() }, GoldenVectorHex.StoreImmutable);
        yield return ("StoreMutableCas", () => new Message { Type = MessageType.Store, RequestId = RequestId, HasToken = true, Token = Token, TtlSeconds = 3600, HasCas = true, Cas = 4, Record = Mutable() }, GoldenVectorHex.StoreMutableCas);
        yield return ("PongIPv4", () => new Message { Type = MessageType.Pong, RequestId = RequestId, HasToken = true, Token = Token, ObservedAddress = V4 }, GoldenVectorHex.PongIPv4);
        yield return ("PongIPv6", () => new Message { Type = MessageType.Pong, RequestId = RequestId, HasToken = true, Token = Token, ObservedAddress = V6 }, GoldenVectorHex.PongIPv6);
        yield return ("NodesMixed", () => new Message
        {
            Type = MessageType.Nodes,
            RequestId = RequestId,
            HasToken = true,
            Token = Token,
            Total = 2,
            Contacts = [new WireContact(ContactA, V4b), new WireContact(ContactB, V6b)],
        }, GoldenVectorHex.NodesMixed);
        yield return ("ValueImmutable", () => new Message { Type = MessageType.Value, RequestId = RequestId, HasToken = true, Token = Token, TtlSeconds = 60, Record = Immutable() }, GoldenVectorHex.ValueImmutable);
        yield return ("ValueMutable", () => new Message { Type = MessageType.Value, RequestId = RequestId, HasToken = true, Token = Token, TtlSeconds = 60, Record = Mutable() }, GoldenVectorHex.ValueMutable);
        yield return ("Stored", () => new Message { Type = MessageType.Stored, RequestId = RequestId, HasToken = true, Token = Token, ResultCode = 0, StoredSequence = 5 }, GoldenVectorHex.Stored);
        yield return ("Error", () => new Message { Type = MessageType.Error, RequestId = RequestId, HasToken = true, Token = Token, Error = ErrorCode.AddressUnvalidated }, GoldenVectorHex.Error);
    }

    public static byte[] Encode(Message m, int padding = 0)
    {
        var bytes = new byte[MessageCodec.GetEncodedLength(m) + padding];
        var written = MessageCodec.Encode(m, bytes, padding);
        Assert.AreEqual(bytes.Length, written, $"encoded length of {m.Type}");
        return bytes;
    }

    /// <summary>Asserts every field the codec carries is equal.</summary>
    public static void AssertEqual(Message expected, Message actual, string context)
    {
        Assert.AreEqual(expected.Type, actual.Type, context);
        Assert.AreEqual(expected.RequestId, actual.RequestId, context);
        Assert.AreEqual(expected.HasToken || !expected.IsRequest, actual.HasToken, context);
        Assert.AreEqual(expected.HasToken ? expected.Token : UInt128.Zero, actual.Token, context);
        Assert.AreEqual(expected.Target, actual.Target, context);
        Assert.AreEqual(expected.TtlSeconds, actual.TtlSeconds, context);
        Assert.AreEqual(expected.HasCas, actual.HasCas, context);
        Assert.AreEqual(expected.Cas, actual.Cas, context);
        Assert.AreEqual(expected.ObservedAddress, actual.ObservedAddress, context);
        Assert.AreEqual(expected.Total, actual.Total, context);
        CollectionAssert.AreEqual(expected.Contacts.ToArray(), actual.Contacts.ToArray(), context);
        Assert.AreEqual(expected.ResultCode, actual.ResultCode, context);
        Assert.AreEqual(expected.StoredSequence, actual.StoredSequence, context);
        Assert.AreEqual(expected.Error, actual.Error, context);
        Assert.AreEqual(expected.Record is null, actual.Record is null, context);
        if (expected.Record is { } e && actual.Record is { } a)
        {
            Assert.AreEqual(e.Key, a.Key, context);
            Assert.IsTrue(e.HasSameContent(a), $"record content differs; {context}");
            CollectionAssert.AreEqual(e.Signature.ToArray(), a.Signature.ToArray(), context);
        }
    }
}
