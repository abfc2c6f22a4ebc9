using System.Security.Cryptography;
using System.Text;
using Dht.Records;
using Dht.Security;

namespace Dht.Tests.Records;

/// <summary>The BEP 44 test vectors (/work/shared/vectors/bep44.md): published tests 1-3, derived D1-D5 and S1-S3, negative cases.</summary>
[TestClass]
public sealed class Bep44VectorTests
{
    private const string BepPublicKey = "77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548";
    private const string Test1Signature = "305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01";
    private const string Test2Signature = "6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17ddf9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08";
    private const string Test1Target = "4a533d47ec9c7d95b1ad75f576cffc641853b750";
    private const string Test2Target = "411eba73b6f087ca51a3795d9c8c938d365e32c1";
    private const string Rfc8032Test1Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string Rfc8032Test1PublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    private static readonly byte[] HelloWorld = "Hello World!"u8.ToArray();
    private static readonly byte[] FooBar = "foobar"u8.ToArray();

    private static DhtIdentity _identity = null!;
    private static NSecCryptoSuite _crypto = null!;

    [ClassInitialize]
    public static void Initialize(TestContext context)
    {
        _ = context;
        _identity = DhtIdentity.Generate();
        _crypto = new NSecCryptoSuite(_identity);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _crypto.Dispose();
        _identity.Dispose();
    }

    [TestMethod]
    [DataRow("", "3:seqi1e1:v12:Hello World!", Test1Signature, Test1Target, DisplayName = "test 1 (mutable)")]
    [DataRow("foobar", "4:salt6:foobar3:seqi1e1:v12:Hello World!", Test2Signature, Test2Target, DisplayName = "test 2 (mutable with salt)")]
    public void PublishedMutableVector_VerifiesThroughPayloadValidatorAndRecord(string salt, string buffer, string signatureHex, string targetHex)
    {
        var publicKey = Convert.FromHexString(BepPublicKey);
        var saltBytes = Encoding.ASCII.GetBytes(salt);
        var signature = Convert.FromHexString(signatureHex);

        var payload = Bep44.SigningPayload(saltBytes, 1, HelloWorld);
        Assert.AreEqual(buffer, Encoding.ASCII.GetString(payload));
        CollectionAssert.AreEqual(payload, Bep44.SigningPayloadEncoded(saltBytes, 1, "12:Hello World!"u8));
        Assert.IsTrue(_crypto.Verify(publicKey, Encoding.ASCII.GetBytes(buffer), signature));
        Assert.AreEqual(targetHex, Sha1Hex([.. publicKey, .. saltBytes]));

        Assert.AreEqual(RecordRejection.None, Bep44.ValidateItem(publicKey, saltBytes, 1, "12:Hello World!"u8, signature, _crypto));
        var record = DhtRecord.FromParts(true, HelloWorld, publicKey, saltBytes, 1, signature);
        Assert.AreEqual(DhtRecord.MutableKey(publicKey, saltBytes), record.Key);
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(record, record.Key, RecordValidator.DefaultMaxValueSize, _crypto));
    }

    [TestMethod]
    public void PublishedImmutableVector_TargetIsSha1OfBencodedValue()
    {
        Assert.AreEqual("e5f96f6f38320f0f33959cb4d3d656452117aadb", Sha1Hex("12:Hello World!"u8.ToArray()));
        Assert.IsTrue(Bep44.IsValidBencode("12:Hello World!"u8));
        Assert.AreEqual(DhtRecord.ImmutableKey(HelloWorld), DhtRecord.CreateImmutable(HelloWorld).Key);
    }

    [TestMethod]
    [DataRow("", 1L, "3:seqi1e1:v12:Hello World!", "5b27aa5589179770e47575b162a1ded97b8bfc6d",
        "5633347580be37f647f52ac0a0bb76724cf2705c20a53ac3eeefc4646378529ff81247b35bbbba767328f82d7692499ec088249445ffb5dc3c8cf8a4df2ef20c", DisplayName = "S1")]
    [DataRow("foobar", 1L, "4:salt6:foobar3:seqi1e1:v12:Hello World!", "1d0d2903ea3da4e9595d74a68025d60c21f35690",
        "a19cf5ec58f30ef8c8569a038c42ca91faf83e94fbb51661b6e06e4e2fa16250180e178efd44dc0bc932c8b98d08d012398d779e038297b638c8c9b42b853209", DisplayName = "S2")]
    [DataRow("", 2L, "3:seqi2e1:v12:Hello World!", "5b27aa5589179770e47575b162a1ded97b8bfc6d",
        "8df83dd23fe14f2928ab4ce660b1bcb357500f68f19db2e7ec752d85fa508d1294030966d3477971e3e12244d47a51480574a367b5a5f06218d13841e8495c03", DisplayName = "S3")]
    public void SeedVector_CreateSigned_ReproducesSignatureByteForByte(string salt, long seq, string buffer, string targetHex, string signatureHex)
    {
        using var signer = DhtIdentity.FromSeed(Convert.FromHexString(Rfc8032Test1Seed));
        Assert.AreEqual(Rfc8032Test1PublicKey, Convert.ToHexStringLower(signer.PublicKey.Span));
        var saltBytes = Encoding.ASCII.GetBytes(salt);

        var record = DhtRecord.CreateSigned(signer, HelloWorld, seq, saltBytes);

        Assert.AreEqual(buffer, Encoding.ASCII.GetString(Bep44.SigningPayload(saltBytes, seq, HelloWorld)));
        Assert.AreEqual(signatureHex, Convert.ToHexStringLower(record.Signature.Span));
        Assert.AreEqual(targetHex, Sha1Hex([.. signer.PublicKey.ToArray(), .. saltBytes]));
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(record, record.Key, RecordValidator.DefaultMaxValueSize, _crypto));
        Assert.AreEqual(RecordRejection.None, Bep44.ValidateItem(
            record.PublicKey.Span, saltBytes, seq, "12:Hello World!"u8, record.Signature.Span, _crypto));
    }

    [TestMethod]
    [DataRow("", 4L, "12:Hello world!", "3:seqi4e1:v12:Hello world!", Test1Target,
        "11d3f6180a17b36d5e7d0f5a1919ce4d36748546ea99e18b13d392b874f59a293ec4bb336ff58441ba679fc12fc5e823ed981a4ab4f7bb4e906b0e450ab22f01", DisplayName = "D1 prose example")]
    [DataRow("", 1L, "12:Hello World!", "3:seqi1e1:v12:Hello World!", Test1Target, Test1Signature, DisplayName = "D2 empty salt")]
    [DataRow("", 2L, "12:Hello World!", "3:seqi2e1:v12:Hello World!", Test1Target,
        "78d824427ec1267566ccac25ed4fdc5ddc354a88e54f98ba6be58a651c9e735e5bb8fee130dd019157a980635625565d02be283303d6090f05a5222e3c89b40f", DisplayName = "D3 newer seq")]
    [DataRow("", 1L, "i42e", "3:seqi1e1:vi42e", Test1Target,
        "ee6844d184c90fac3d35ec9e7e8cb4de5b2e00f09abe21a232662b8f5d0873ac611691480534565d01d305f2a2c4d509766d03cd6e3ba42245d20d9f74b06704", DisplayName = "D4 int v")]
    [DataRow("foobar", 1L, "d1:ai1e1:b2:xye", "4:salt6:foobar3:seqi1e1:vd1:ai1e1:b2:xye", Test2Target,
        "599fd0748f28cd7ab45460c8fda38a710928965bdc179e19172cbd49eba1621958be4964d75f2840397a7d75c42b9371a725b99757fa8b9c1898e352672ce108", DisplayName = "D5 dict v + salt")]
    public void DerivedVector_ValidateItem_Accepts(string salt, long seq, string bencodedV, string buffer, string targetHex, string signatureHex)
    {
        var publicKey = Convert.FromHexString(BepPublicKey);
        var saltBytes = Encoding.ASCII.GetBytes(salt);
        var v = Encoding.ASCII.GetBytes(bencodedV);

        Assert.AreEqual(buffer, Encoding.ASCII.GetString(Bep44.SigningPayloadEncoded(saltBytes, seq, v)));
        Assert.AreEqual(targetHex, Sha1Hex([.. publicKey, .. saltBytes]));
        Assert.AreEqual(RecordRejection.None, Bep44.ValidateItem(publicKey, saltBytes, seq, v, Convert.FromHexString(signatureHex), _crypto));
    }

    [TestMethod]
    [DataRow(1L, DisplayName = "lowercase world")]
    [DataRow(4L, DisplayName = "BEP prose buffer 3:seqi4e1:v12:Hello world!")]
    public void Test1Signature_LowercaseWorld_BadSignature(long seq)
    {
        Assert.IsFalse(_crypto.Verify(
            Convert.FromHexString(BepPublicKey), Bep44.SigningPayload([], seq, "Hello world!"u8), Convert.FromHexString(Test1Signature)));
        var result = Bep44.ValidateItem(
            Convert.FromHexString(BepPublicKey), [], seq, "12:Hello world!"u8, Convert.FromHexString(Test1Signature), _crypto);
        Assert.AreEqual(RecordRejection.BadSignature, result);
        Assert.AreEqual(206, Bep44.ErrorCode(result));
    }

    [TestMethod]
    public void Test1Signature_Seq2_BadSignature()
    {
        var record = DhtRecord.FromParts(true, HelloWorld, Convert.FromHexString(BepPublicKey), default, 2, Convert.FromHexString(Test1Signature));
        Assert.AreEqual(RecordRejection.BadSignature, RecordValidator.Validate(record, record.Key, 1000, _crypto));
        Assert.AreEqual(RecordRejection.BadSignature, Bep44.ValidateItem(
            Convert.FromHexString(BepPublicKey), [], 2, "12:Hello World!"u8, Convert.FromHexString(Test1Signature), _crypto));
    }

    [TestMethod]
    public void Test2Signature_SaltDropped_BadSignature()
    {
        var result = Bep44.ValidateItem(
            Convert.FromHexString(BepPublicKey), [], 1, "12:Hello World!"u8, Convert.FromHexString(Test2Signature), _crypto);
        Assert.AreEqual(RecordRejection.BadSignature, result);
    }

    [TestMethod]
    public void Test2Record_WrongTarget_KeyMismatch()
    {
        var publicKey = Convert.FromHexString(BepPublicKey);
        Assert.AreNotEqual(Test1Target, Sha1Hex([.. publicKey, .. FooBar]), "SHA-1 target check must tell test 1 and test 2 apart");

        var record = DhtRecord.FromParts(true, HelloWorld, publicKey, FooBar, 1, Convert.FromHexString(Test2Signature));
        var unsaltedKey = DhtRecord.MutableKey(publicKey, []);
        Assert.AreEqual(RecordRejection.KeyMismatch, RecordValidator.Validate(record, unsaltedKey, 1000, _crypto));
    }

    [TestMethod]
    [DataRow(996, RecordRejection.None, DisplayName = "bencoded v of 1000 bytes")]
    [DataRow(997, RecordRejection.ValueTooLarge, DisplayName = "bencoded v of 1001 bytes")]
    public void ValidateItem_ValueSizeBoundary_AcceptsAt1000(int stringLength, RecordRejection expected)
    {
        var v = BencodedString(stringLength);
        var result = SignAndValidate([], 1, v);
        Assert.AreEqual(expected, result, $"bencoded v length {v.Length}");
        if (expected != RecordRejection.None)
        {
            Assert.AreEqual(205, Bep44.ErrorCode(result));
        }
    }

    [TestMethod]
    [DataRow(64, RecordRejection.None)]
    [DataRow(65, RecordRejection.SaltTooLarge)]
    public void ValidateItem_SaltSizeBoundary_AcceptsAt64(int saltLength, RecordRejection expected)
    {
        var salt = Enumerable.Repeat((byte)'s', saltLength).ToArray();
        var result = SignAndValidate(salt, 1, "12:Hello World!"u8.ToArray());
        Assert.AreEqual(expected, result);
        if (expected != RecordRejection.None)
        {
            Assert.AreEqual(207, Bep44.ErrorCode(result));
        }
    }

    [TestMethod]
    [DataRow(-1L)]
    [DataRow(long.MinValue)]
    public void ValidateItem_NegativeSeq_Rejected(long seq)
    {
        Assert.AreEqual(RecordRejection.NegativeSequence, SignAndValidate([], seq, "12:Hello World!"u8.ToArray()));
    }

    [TestMethod]
    [DataRow("d1:bi1e1:ai2ee", DisplayName = "unsorted dict keys")]
    [DataRow("d1:ai1e1:ai2ee", DisplayName = "duplicate dict keys")]
    [DataRow("i03e", DisplayName = "leading zero")]
    [DataRow("", DisplayName = "empty v")]
    public void ValidateItem_InvalidBencoding_Rejected203(string bencodedV)
    {
        var result = SignAndValidate([], 1, Encoding.ASCII.GetBytes(bencodedV));
        Assert.AreEqual(RecordRejection.InvalidBencoding, result);
        Assert.AreEqual(203, Bep44.ErrorCode(result));
    }

    private static RecordRejection SignAndValidate(byte[] salt, long seq, byte[] bencodedV)
    {
        var signature = _identity.Sign(Bep44.SigningPayloadEncoded(salt, seq, bencodedV));
        return Bep44.ValidateItem(_identity.PublicKey.Span, salt, seq, bencodedV, signature, _crypto);
    }

    private static byte[] BencodedString(int length) =>
        [.. Encoding.ASCII.GetBytes($"{length}:"), .. Enumerable.Repeat((byte)'x', length)];

    private static string Sha1Hex(byte[] data) => Convert.ToHexStringLower(SHA1.HashData(data));
}
