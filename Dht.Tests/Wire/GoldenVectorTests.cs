using System.Security.Cryptography;
using Dht.Protocol;
using Dht.Records;
using Dht.Security;
using Dht.Tests.Support;
using Dht.Wire;
using NSec.Cryptography;

namespace Dht.Tests.Wire;

/// <summary>
/// Golden encodings, produced once by <see cref="MessageCodec.Encode"/> and checked field by field against the layout
/// (all integers big-endian). Common prefix: type(1) request id(8) = 0102030405060708; requests then carry a token
/// flag(1) [token(16)], responses always a token(16) = 00112233445566778899aabbccddeeff.
/// </summary>
internal static class GoldenVectorHex
{
    /// <summary>01 PING | id | 00 no token.</summary>
    public const string PingNoToken = "01" + "0102030405060708" + "00";

    /// <summary>01 PING | id | 01 token present | token.</summary>
    public const string PingWithToken = "01" + "0102030405060708" + "01" + "00112233445566778899aabbccddeeff";

    /// <summary>02 FIND_NODE | id | 00 no token | target (32).</summary>
    public const string FindNode = "02" + "0102030405060708" + "00" + "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

    /// <summary>03 FIND_VALUE | id | 01 | token | key (32).</summary>
    public const string FindValue = "03" + "0102030405060708" + "01" + "00112233445566778899aabbccddeeff"
        + "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

    /// <summary>04 STORE | id | 01 | token | flags 00 (no CAS) | cas 0 (8) | ttl 7200 = 0x1c20 (4) | record: kind 00 immutable, length 0005, "hello".</summary>
    public const string StoreImmutable = "04" + "0102030405060708" + "01" + "00112233445566778899aabbccddeeff"
        + "00" + "0000000000000000" + "00001c20" + "00" + "0005" + "68656c6c6f";

    /// <summary>Mutable record: kind 01 | RFC 8032 test-1 public key (32) | salt length 04 "salt" | seq 5 (8) | length 0001 "v" | Ed25519 signature (64) over "4:salt4:salt3:seqi5e1:v1:v".</summary>
    public const string MutableRecord = "01" + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        + "04" + "73616c74" + "0000000000000005" + "0001" + "76"
        + "2a645b777cf22cb418bad9201c52f9768d7c15fbfd66c9189373936c9df0d245da2a184754304962f0d5edf4d30857107186e9a01ea45b4d5d6f6c0404495c02";

    /// <summary>04 STORE | id | 01 | token | flags 01 (CAS) | cas 4 (8) | ttl 3600 = 0x0e10 (4) | mutable record.</summary>
    public const string StoreMutableCas = "04" + "0102030405060708" + "01" + "00112233445566778899aabbccddeeff"
        + "01" + "0000000000000004" + "00000e10" + MutableRecord;

    /// <summary>81 PONG | id | token | family 04, 192.0.2.1 = c0000201, port 6881 = 1ae1.</summary>
    public const string PongIPv4 = "81" + "0102030405060708" + "00112233445566778899aabbccddeeff" + "04" + "c0000201" + "1ae1";

    /// <summary>81 PONG | id | token | family 06, 2001:db8::1 (16), port 6881.</summary>
    public const string PongIPv6 = "81" + "0102030405060708" + "00112233445566778899aabbccddeeff" + "06" + "20010db8000000000000000000000001" + "1ae1";

    /// <summary>82 NODES | id | token | total 02 | count 02 | 04 198.51.100.7 port 4000 = 0fa0, id 11.. | 06 2001:db8::2 port 4001 = 0fa1, id 22..</summary>
    public const string NodesMixed = "82" + "0102030405060708" + "00112233445566778899aabbccddeeff" + "02" + "02"
        + "04" + "c6336407" + "0fa0" + "1111111111111111111111111111111111111111111111111111111111111111"
        + "06" + "20010db8000000000000000000000002" + "0fa1" + "2222222222222222222222222222222222222222222222222222222222222222";

    /// <summary>83 VALUE | id | token | ttl 60 = 0x3c (4) | kind 00, length 0005, "hello".</summary>
    public const string ValueImmutable = "83" + "0102030405060708" + "00112233445566778899aabbccddeeff" + "0000003c" + "00" + "0005" + "68656c6c6f";

    /// <summary>83 VALUE | id | token | ttl 60 | mutable record.</summary>
    public const string ValueMutable = "83" + "0102030405060708" + "00112233445566778899aabbccddeeff" + "0000003c" + MutableRecord;

    /// <summary>84 STORED | id | token | result 00 (stored) | stored seq 5 (8).</summary>
    public const string Stored = "84" + "0102030405060708" + "00112233445566778899aabbccddeeff" + "00" + "0000000000000005";

    /// <summary>85 ERROR | id | token | code 01 AddressUnvalidated.</summary>
    public const string Error = "85" + "0102030405060708" + "00112233445566778899aabbccddeeff" + "01";

    /// <summary>Ed25519 public key of seed 11..11 (the sealing sender) and of seed 22..22 (the receiver).</summary>
    public const string IdA = "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737";

    public const string IdB = "a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0";

    public const string Nonce = "000102030405060708090a0b";

    /// <summary>
    /// Sealed PING (no token) from A to B: version 01 | type 01 sealed | sender id A (32) | nonce (12) |
    /// ChaCha20-Poly1305(key = HKDF-SHA256(X25519(A, B), info "dht/v1 session" || lower id || higher id), nonce,
    /// AAD = the 46 header bytes) of the 10-byte PING (10) | tag (16). 72 bytes in all.
    /// </summary>
    public const string SealedPing = "01" + "01" + IdA + Nonce + "84577c03603629e3056b" + "e6ca78d17208b9925890d02e2a8ff66e";

    /// <summary>WHOAREYOU: 01 | 02 | probe id (8) | 54 zero bytes, 64 in all.</summary>
    public const string WhoAreYou = "01" + "02" + "0102030405060708"
        + "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>IDENTITY from B answering that probe: 01 | 03 | probe id (8) | node id B (32), 42 in all.</summary>
    public const string IdentityFromB = "01" + "03" + "0102030405060708" + IdB;
}

[TestClass]
public sealed class GoldenVectorTests
{
    private static readonly byte[] SeedA = Enumerable.Repeat((byte)0x11, 32).ToArray();
    private static readonly byte[] SeedB = Enumerable.Repeat((byte)0x22, 32).ToArray();

    public static IEnumerable<object[]> Vectors => GoldenMessages.All().Select(v => new object[] { v.Name });

    [TestMethod]
    [DynamicData(nameof(Vectors))]
    public void Encode_GoldenMessage_MatchesVectorByteForByte(string name)
    {
        var (_, create, hex) = GoldenMessages.All().Single(v => v.Name == name);
        var message = create();
        var encoded = GoldenMessages.Encode(message);
        Assert.AreEqual(hex, Convert.ToHexStringLower(encoded), $"encoding of {name}");
        Assert.AreEqual(encoded.Length, MessageCodec.GetEncodedLength(message), $"GetEncodedLength of {name}");
    }

    [TestMethod]
    [DynamicData(nameof(Vectors))]
    public void TryDecode_GoldenVector_ReturnsEqualFields(string name)
    {
        var (_, create, hex) = GoldenMessages.All().Single(v => v.Name == name);
        Assert.AreEqual(DropReason.None, MessageCodec.TryDecode(Convert.FromHexString(hex), out var decoded), name);
        GoldenMessages.AssertEqual(create(), decoded!, name);
    }

    /// <summary>
    /// The engine decodes every datagram into one reused message and contact buffer: decoding all vectors in turn (and
    /// in reverse) into the same instance must leave nothing from the previous message behind.
    /// </summary>
    [TestMethod]
    public void TryDecode_IntoReusedMessage_LeavesNothingFromThePreviousOne()
    {
        var reused = new Message();
        var scratch = new ContactSlice();
        var vectors = GoldenMessages.All().ToList();
        foreach (var (name, create, hex) in vectors.Concat(Enumerable.Reverse(vectors)))
        {
            Assert.AreEqual(DropReason.None, MessageCodec.TryDecode(Convert.FromHexString(hex), reused, scratch), name);
            GoldenMessages.AssertEqual(create(), reused, name);
        }
    }

    [TestMethod]
    public void MutableRecordVector_Signature_VerifiesOverBep44Payload()
    {
        var record = GoldenMessages.Mutable();
        using var signer = DhtIdentity.FromSeed(GoldenMessages.SignerSeed);
        using var crypto = new NSecCryptoSuite(signer);
        var payload = "4:salt4:salt3:seqi5e1:v1:v"u8;
        CollectionAssert.AreEqual(Bep44.SigningPayload("salt"u8.ToArray(), 5, "v"u8.ToArray()), payload.ToArray());
        Assert.IsTrue(crypto.Verify(record.PublicKey.Span, payload, record.Signature.Span), "signature in the golden vector");
        Assert.AreEqual("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Convert.ToHexStringLower(record.PublicKey.Span));
    }

    [TestMethod]
    public void Seal_FixedKeyAndNonce_MatchesSealedPacketVector()
    {
        using var a = DhtIdentity.FromSeed(SeedA);
        using var b = DhtIdentity.FromSeed(SeedB);
        Assert.AreEqual(GoldenVectorHex.IdA, a.Id.ToString());
        Assert.AreEqual(GoldenVectorHex.IdB, b.Id.ToString());
        using var suiteA = new NSecCryptoSuite(a);
        var key = SuiteKey.Derive(suiteA, b.Id)!;
        var plaintext = Convert.FromHexString(GoldenVectorHex.PingNoToken);
        var sealedPacket = WirePeer.Seal(key, a.Id, Convert.FromHexString(GoldenVectorHex.Nonce), plaintext);
        Assert.AreEqual(GoldenVectorHex.SealedPing, Convert.ToHexStringLower(sealedPacket));
        Assert.AreEqual(72, sealedPacket.Length);

        // The receiver derives the same key from its side (the Edwards-to-Montgomery map agrees with the private scalar).
        using var suiteB = new NSecCryptoSuite(b);
        var keyB = SuiteKey.Derive(suiteB, a.Id)!;
        CollectionAssert.AreEqual(plaintext, WirePeer.Open(keyB, sealedPacket));
    }

    [TestMethod]
    public void SealedPacketVector_IndependentDerivation_SameCiphertext()
    {
        // Rebuild the key from primitives without the engine's code path: X25519 scalar = clamped SHA-512(seed)[..32],
        // B's Montgomery public key from B's scalar (not from the Edwards map), HKDF-SHA256 with empty salt, then the
        // framework's own ChaCha20-Poly1305.
        if (!System.Security.Cryptography.ChaCha20Poly1305.IsSupported)
        {
            Assert.Inconclusive("ChaCha20-Poly1305 is not supported by the platform crypto library.");
        }

        Span<byte> scalarA = stackalloc byte[32];
        Span<byte> scalarB = stackalloc byte[32];
        Curve25519Conversion.SeedToMontgomeryScalar(SeedA, scalarA);
        Curve25519Conversion.SeedToMontgomeryScalar(SeedB, scalarB);
        var exportable = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var keyA = NSec.Cryptography.Key.Import(KeyAgreementAlgorithm.X25519, scalarA, KeyBlobFormat.RawPrivateKey, in exportable);
        using var keyB = NSec.Cryptography.Key.Import(KeyAgreementAlgorithm.X25519, scalarB, KeyBlobFormat.RawPrivateKey, in exportable);
        var secretParameters = new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var shared = KeyAgreementAlgorithm.X25519.Agree(keyA, keyB.PublicKey, in secretParameters)!;
        var ikm = shared.Export(SharedSecretBlobFormat.RawSharedSecret);

        var idA = Convert.FromHexString(GoldenVectorHex.IdA);
        var idB = Convert.FromHexString(GoldenVectorHex.IdB);
        var info = "dht/v1 session"u8.ToArray().Concat(idB).Concat(idA).ToArray(); // B's id is numerically lower
        var aeadKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, [], info);

        var packet = Convert.FromHexString(GoldenVectorHex.SealedPing);
        var header = packet.AsSpan(0, WireConstants.SealedHeaderSize);
        var ciphertext = new byte[10];
        var tag = new byte[16];
        using var aead = new System.Security.Cryptography.ChaCha20Poly1305(aeadKey);
        aead.Encrypt(Convert.FromHexString(GoldenVectorHex.Nonce), Convert.FromHexString(GoldenVectorHex.PingNoToken), ciphertext, tag, header);
        CollectionAssert.AreEqual(packet[WireConstants.SealedHeaderSize..], ciphertext.Concat(tag).ToArray());
    }

    [TestMethod]
    [DataRow(7UL)]
    public void HandleDatagram_GoldenWhoAreYou_RepliesWithGoldenIdentity(ulong seed)
    {
        using var b = DhtIdentity.FromSeed(SeedB);
        using var crypto = new NSecCryptoSuite(b);
        using var engine = new DhtEngine(VirtualNetwork.TestOptions(), crypto, seed, Instant.FromSeconds(1));
        var probe = Convert.FromHexString(GoldenVectorHex.WhoAreYou);
        Assert.AreEqual(WireConstants.ProbeSize, probe.Length);
        CollectionAssert.AreEqual(WirePeer.WhoAreYou(0x0102030405060708UL), probe);
        var from = PeerAddress.FromIPv4([192, 0, 2, 9], 5000);
        engine.HandleDatagram(Instant.FromSeconds(1), from, probe);
        var sent = WirePeer.Drain(engine);
        Assert.HasCount(1, sent, $"seed {seed}");
        Assert.AreEqual(from, sent[0].To, $"seed {seed}");
        Assert.AreEqual(GoldenVectorHex.IdentityFromB, Convert.ToHexStringLower(sent[0].Data), $"seed {seed}");
        CollectionAssert.AreEqual(WirePeer.IdentityReply(0x0102030405060708UL, b.Id), sent[0].Data);
    }

    [TestMethod]
    [DataRow(8UL)]
    public void StartBootstrap_AddressOnlySeed_SendsProbeWithGoldenLayout(ulong seed)
    {
        using var crypto = new NSecCryptoSuite(DhtIdentity.Generate());
        using var engine = new DhtEngine(VirtualNetwork.TestOptions(), crypto, seed, Instant.FromSeconds(1));
        var to = PeerAddress.FromIPv4([192, 0, 2, 10], 5000);
        engine.StartBootstrap(Instant.FromSeconds(1), [(to, null)]);
        var probe = WirePeer.Drain(engine).Single(d => d.To == to).Data;
        Assert.AreEqual(WireConstants.ProbeSize, probe.Length, $"seed {seed}");
        Assert.AreEqual("0102", Convert.ToHexStringLower(probe.AsSpan(0, 2)), $"seed {seed}");
        Assert.IsFalse(probe.AsSpan(10).ContainsAnyExcept((byte)0), $"padding must be zero; seed {seed}");

        // Answering with the golden IDENTITY layout for that probe id is accepted (no drop).
        var probeId = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(probe.AsSpan(2));
        using var peer = DhtIdentity.FromSeed(SeedB);
        engine.HandleDatagram(Instant.FromSeconds(1.01), to, WirePeer.IdentityReply(probeId, peer.Id));
        Assert.AreEqual(0, engine.Stats.DroppedTotal, $"{string.Join(",", engine.Stats.DropsByReason())}; seed {seed}");
    }
}
