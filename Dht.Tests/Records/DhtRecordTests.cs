using System.Security.Cryptography;
using Dht.Protocol;

namespace Dht.Tests.Records;

[TestClass]
public sealed class DhtRecordTests
{
    [TestMethod]
    public void CreateImmutable_Value_KeyIsSha256AndFieldsEmpty()
    {
        var value = "hello"u8.ToArray();
        var record = DhtRecord.CreateImmutable(value);

        Assert.IsFalse(record.IsMutable);
        Assert.AreEqual(new NodeId(SHA256.HashData(value)), record.Key);
        Assert.AreEqual(0, record.PublicKey.Length);
        Assert.AreEqual(0, record.Salt.Length);
        Assert.AreEqual(0, record.Signature.Length);
        Assert.AreEqual(0L, record.Sequence);
        Assert.AreEqual(value.Length, record.SizeInBytes);
    }

    [TestMethod]
    public void CreateImmutable_InputMutatedAfterwards_RecordUnchanged()
    {
        var value = "hello"u8.ToArray();
        var record = DhtRecord.CreateImmutable(value);
        value[0] = (byte)'j';
        CollectionAssert.AreEqual("hello"u8.ToArray(), record.Value.ToArray());
    }

    [TestMethod]
    public void CreateSigned_WithSalt_KeyIsSha256OfPublicKeyAndSalt()
    {
        using var signer = DhtIdentity.Generate();
        var salt = "salt"u8.ToArray();
        var record = DhtRecord.CreateSigned(signer, "v"u8.ToArray(), 3, salt);

        Assert.IsTrue(record.IsMutable);
        Assert.AreEqual(new NodeId(SHA256.HashData([.. signer.PublicKey.ToArray(), .. salt])), record.Key);
        Assert.AreEqual(DhtRecord.MutableKey(signer.PublicKey.Span, salt), record.Key);
        Assert.AreEqual(3L, record.Sequence);
        Assert.AreEqual(DhtRecord.SignatureSize, record.Signature.Length);
        Assert.AreEqual(1 + 32 + 4 + 64, record.SizeInBytes);
    }

    [TestMethod]
    public void CreateSigned_SaltTooLong_ThrowsNamingTheLimit()
    {
        using var signer = DhtIdentity.Generate();
        var ex = Assert.ThrowsExactly<ArgumentException>(() => DhtRecord.CreateSigned(signer, "v"u8.ToArray(), 1, new byte[65]));
        Assert.AreEqual("salt", ex.ParamName);
        StringAssert.Contains(ex.Message, "64");
    }

    [TestMethod]
    public void CreateSigned_NegativeSequence_ThrowsOutOfRange()
    {
        using var signer = DhtIdentity.Generate();
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DhtRecord.CreateSigned(signer, "v"u8.ToArray(), -1));
        Assert.AreEqual("sequence", ex.ParamName);
    }

    [TestMethod]
    public void CreateSigned_ValueOverWireMaximum_Throws()
    {
        using var signer = DhtIdentity.Generate();
        var ex = Assert.ThrowsExactly<ArgumentException>(() => DhtRecord.CreateSigned(signer, new byte[DhtRecord.MaxValueSize + 1], 1));
        Assert.AreEqual("value", ex.ParamName);
        Assert.ThrowsExactly<ArgumentException>(() => DhtRecord.CreateImmutable(new byte[DhtRecord.MaxValueSize + 1]));
        Assert.AreEqual(DhtRecord.MaxValueSize, DhtRecord.CreateImmutable(new byte[DhtRecord.MaxValueSize]).Value.Length);
    }

    [TestMethod]
    public void CreateSigned_NullSigner_Throws()
    {
        Assert.ThrowsExactly<ArgumentNullException>(() => DhtRecord.CreateSigned(null!, "v"u8.ToArray(), 1));
    }

    [TestMethod]
    public void MutableKey_WrongPublicKeyLength_Throws()
    {
        Assert.ThrowsExactly<ArgumentException>(() => DhtRecord.MutableKey(new byte[31], []));
        Assert.ThrowsExactly<ArgumentException>(() => DhtRecord.MutableKey(new byte[32], new byte[65]));
    }

    [TestMethod]
    public void FromParts_ImmutableWithSignature_Throws()
    {
        Assert.ThrowsExactly<ArgumentException>(() => DhtRecord.FromParts(false, "v"u8.ToArray(), default, default, 0, new byte[64]));
        Assert.ThrowsExactly<ArgumentException>(() => DhtRecord.FromParts(false, "v"u8.ToArray(), default, default, 1, default));
    }

    [TestMethod]
    public void FromParts_MalformedMutable_DoesNotThrow()
    {
        var record = DhtRecord.FromParts(true, new byte[70_000], new byte[5], new byte[100], -3, new byte[2]);
        Assert.IsTrue(record.IsMutable);
        Assert.AreEqual(-3L, record.Sequence);
        // The key is SHA-256 of the parts whatever their sizes: validation compares keys rather than hashing again.
        Assert.AreEqual(new NodeId(SHA256.HashData([.. new byte[5], .. new byte[100]])), record.Key);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(63)]
    [DataRow(64)]
    [DataRow(65)]
    public void FromParts_SaltLengths_KeyIsSha256OfPublicKeyAndSalt(int saltLength)
    {
        var publicKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var salt = Enumerable.Range(100, saltLength).Select(i => (byte)i).ToArray();
        var record = DhtRecord.FromParts(true, "v"u8.ToArray(), publicKey, salt, 1, new byte[64]);
        Assert.AreEqual(new NodeId(SHA256.HashData([.. publicKey, .. salt])), record.Key);
    }

    [TestMethod]
    public void FromParts_SignedRecordParts_RoundTripsKey()
    {
        using var signer = DhtIdentity.Generate();
        var original = DhtRecord.CreateSigned(signer, "v"u8.ToArray(), 9, "s"u8.ToArray());
        var copy = DhtRecord.FromParts(true, original.Value, original.PublicKey, original.Salt, original.Sequence, original.Signature);
        Assert.AreEqual(original.Key, copy.Key);
        Assert.IsTrue(copy.HasSameContent(original));
    }

    [TestMethod]
    [DataRow(1UL)]
    [DataRow(0xC0FFEEUL)]
    public void CreateSigned_RandomValueAndSalt_ValidatesAndKeyMatchesFromParts(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        using var signer = DhtIdentity.Generate();
        using var crypto = new Dht.Security.NSecCryptoSuite(DhtIdentity.Generate());
        for (var i = 0; i < 20; i++)
        {
            var value = new byte[rng.NextInt32(1001)];
            var salt = new byte[rng.NextInt32(65)];
            rng.NextBytes(value);
            rng.NextBytes(salt);
            var seq = (long)rng.NextUInt64(long.MaxValue);

            var record = DhtRecord.CreateSigned(signer, value, seq, salt);

            Assert.AreEqual(
                RecordRejection.None,
                Dht.Records.RecordValidator.Validate(record, DhtRecord.MutableKey(signer.PublicKey.Span, salt), 1000, crypto),
                $"seed {seed}, iteration {i}");
        }
    }
}
