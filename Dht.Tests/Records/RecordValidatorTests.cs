using Dht.Records;
using Dht.Security;
using Dht.Tests.Support;

namespace Dht.Tests.Records;

[TestClass]
public sealed class RecordValidatorTests
{
    private const int MaxValue = RecordValidator.DefaultMaxValueSize;

    private static DhtIdentity _signer = null!;
    private static NSecCryptoSuite _crypto = null!;

    [ClassInitialize]
    public static void Initialize(TestContext context)
    {
        _ = context;
        _signer = DhtIdentity.Generate();
        _crypto = new NSecCryptoSuite(DhtIdentity.Generate());
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _crypto.Dispose();
        _signer.Dispose();
    }

    [TestMethod]
    public void Validate_ImmutableUnderItsHash_None()
    {
        var record = DhtRecord.CreateImmutable("data"u8.ToArray());
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(record, record.Key, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_ImmutableUnderOtherKey_KeyMismatch()
    {
        var record = DhtRecord.CreateImmutable("data"u8.ToArray());
        var other = DhtRecord.ImmutableKey("other"u8);
        Assert.AreEqual(RecordRejection.KeyMismatch, RecordValidator.Validate(record, other, MaxValue, _crypto));
    }

    [TestMethod]
    [DataRow(1000, RecordRejection.None)]
    [DataRow(1001, RecordRejection.ValueTooLarge)]
    public void Validate_ImmutableValueSize_BoundIsInclusive(int length, RecordRejection expected)
    {
        var record = DhtRecord.CreateImmutable(new byte[length]);
        Assert.AreEqual(expected, RecordValidator.Validate(record, record.Key, MaxValue, _crypto));
    }

    [TestMethod]
    [DataRow(1000, RecordRejection.None)]
    [DataRow(1001, RecordRejection.ValueTooLarge)]
    public void Validate_MutableValueSize_BoundIsInclusive(int length, RecordRejection expected)
    {
        var record = DhtRecord.CreateSigned(_signer, new byte[length], 1);
        Assert.AreEqual(expected, RecordValidator.Validate(record, record.Key, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_LargerConfiguredLimit_AcceptsLargerValue()
    {
        var record = DhtRecord.CreateSigned(_signer, new byte[DhtRecord.MaxValueSize], 1);
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(record, record.Key, DhtRecord.MaxValueSize, _crypto));
        Assert.AreEqual(RecordRejection.ValueTooLarge, RecordValidator.Validate(record, record.Key, 1000, _crypto));
    }

    [TestMethod]
    public void CreateSigned_BeyondWireLimit_ThrowsNamingTheLimit()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => DhtRecord.CreateSigned(_signer, new byte[DhtRecord.MaxValueSize + 1], 1));
        StringAssert.Contains(e.Message, "at most 1007 bytes");
    }

    [TestMethod]
    public void Validate_EmptyImmutable_EmptyValue()
    {
        var record = DhtRecord.FromParts(false, ReadOnlyMemory<byte>.Empty, default, default, 0, default);
        Assert.AreEqual(RecordRejection.EmptyValue, RecordValidator.Validate(record, record.Key, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_SignedRecordWithSalt_None()
    {
        var record = DhtRecord.CreateSigned(_signer, "v"u8.ToArray(), 7, new byte[64]);
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(record, record.Key, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_MutableUnderOtherSalt_KeyMismatch()
    {
        var record = DhtRecord.CreateSigned(_signer, "v"u8.ToArray(), 7, "a"u8.ToArray());
        var other = DhtRecord.MutableKey(_signer.PublicKey.Span, "b"u8);
        Assert.AreEqual(RecordRejection.KeyMismatch, RecordValidator.Validate(record, other, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_SaltOver64_SaltTooLarge()
    {
        var salt = new byte[65];
        var record = SignParts(salt, 1, "v"u8.ToArray());
        Assert.AreEqual(RecordRejection.SaltTooLarge, RecordValidator.Validate(record, record.Key, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_NegativeSequenceCorrectlySigned_NegativeSequence()
    {
        var record = SignParts([], -1, "v"u8.ToArray());
        Assert.AreEqual(RecordRejection.NegativeSequence, RecordValidator.Validate(record, record.Key, MaxValue, _crypto));
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(31)]
    [DataRow(33)]
    public void Validate_PublicKeyWrongLength_InvalidPublicKey(int length)
    {
        var record = DhtRecord.FromParts(true, "v"u8.ToArray(), new byte[length], default, 1, new byte[64]);
        Assert.AreEqual(RecordRejection.InvalidPublicKey, RecordValidator.Validate(record, record.Key, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_TamperedValue_BadSignature()
    {
        var good = DhtRecord.CreateSigned(_signer, "value"u8.ToArray(), 1);
        var forged = DhtRecord.FromParts(true, "valuf"u8.ToArray(), good.PublicKey, good.Salt, good.Sequence, good.Signature);
        Assert.AreEqual(RecordRejection.BadSignature, RecordValidator.Validate(forged, forged.Key, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_RaisedSequenceWithOldSignature_BadSignature()
    {
        var good = DhtRecord.CreateSigned(_signer, "value"u8.ToArray(), 1);
        var forged = DhtRecord.FromParts(true, good.Value, good.PublicKey, good.Salt, 2, good.Signature);
        Assert.AreEqual(RecordRejection.BadSignature, RecordValidator.Validate(forged, forged.Key, MaxValue, _crypto));
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(63)]
    [DataRow(65)]
    public void Validate_SignatureWrongLength_BadSignature(int length)
    {
        var good = DhtRecord.CreateSigned(_signer, "value"u8.ToArray(), 1);
        var forged = DhtRecord.FromParts(true, good.Value, good.PublicKey, good.Salt, 1, new byte[length]);
        Assert.AreEqual(RecordRejection.BadSignature, RecordValidator.Validate(forged, forged.Key, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_SignedByOtherKey_BadSignature()
    {
        using var other = DhtIdentity.Generate();
        var good = DhtRecord.CreateSigned(other, "value"u8.ToArray(), 1);
        var forged = DhtRecord.FromParts(true, good.Value, _signer.PublicKey, good.Salt, 1, good.Signature);
        Assert.AreEqual(RecordRejection.BadSignature, RecordValidator.Validate(forged, forged.Key, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_KeyCheckedBeforeSignature_KeyMismatchForForgedRecordUnderOtherKey()
    {
        var forged = DhtRecord.FromParts(true, "v"u8.ToArray(), _signer.PublicKey, default, 1, new byte[64]);
        var other = DhtRecord.ImmutableKey("x"u8);
        Assert.AreEqual(RecordRejection.KeyMismatch, RecordValidator.Validate(forged, other, MaxValue, _crypto));
    }

    [TestMethod]
    public void Validate_SameInstanceTwice_SignatureCheckedOnce()
    {
        var counting = new CountingVerifySuite(_crypto);
        var record = SignParts("s"u8.ToArray(), 4, "v"u8.ToArray());
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(record, record.Key, MaxValue, counting));
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(record, record.Key, MaxValue, counting));
        Assert.AreEqual(1, counting.Verifications);
        Assert.AreEqual(typeof(CountingVerifySuite), record.SignatureVerifiedBy);

        // The cheap checks and the key still run every time.
        Assert.AreEqual(RecordRejection.KeyMismatch, RecordValidator.Validate(record, DhtRecord.ImmutableKey("x"u8), MaxValue, counting));
        Assert.AreEqual(RecordRejection.ValueTooLarge, RecordValidator.Validate(record, record.Key, 0, counting));

        // Another suite type does not take the first one's word.
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(record, record.Key, MaxValue, _crypto));
        Assert.AreEqual(typeof(NSecCryptoSuite), record.SignatureVerifiedBy);
    }

    [TestMethod]
    public void Validate_BadSignature_NeverMarked()
    {
        var counting = new CountingVerifySuite(_crypto);
        var good = SignParts([], 1, "v"u8.ToArray());
        var forged = DhtRecord.FromParts(true, "w"u8.ToArray(), good.PublicKey, good.Salt, 1, good.Signature);
        Assert.AreEqual(RecordRejection.BadSignature, RecordValidator.Validate(forged, forged.Key, MaxValue, counting));
        Assert.AreEqual(RecordRejection.BadSignature, RecordValidator.Validate(forged, forged.Key, MaxValue, counting));
        Assert.AreEqual(2, counting.Verifications);
        Assert.IsNull(forged.SignatureVerifiedBy);
    }

    [TestMethod]
    public void TakeVerificationFrom_ByteIdenticalCopy_SkipsTheCheck()
    {
        var counting = new CountingVerifySuite(_crypto);
        var held = SignParts("s"u8.ToArray(), 4, "v"u8.ToArray());
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(held, held.Key, MaxValue, counting));

        var copy = DhtRecord.FromParts(true, held.Value, held.PublicKey, held.Salt, held.Sequence, held.Signature);
        Assert.IsTrue(copy.TakeVerificationFrom(held));
        Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(copy, copy.Key, MaxValue, counting));
        Assert.AreEqual(1, counting.Verifications);
    }

    [TestMethod]
    [DataRow("signature")]
    [DataRow("value")]
    [DataRow("salt")]
    [DataRow("sequence")]
    [DataRow("unverified")]
    [DataRow("immutable")]
    public void TakeVerificationFrom_AnyDifferenceOrUnverifiedHeld_Declines(string change)
    {
        var counting = new CountingVerifySuite(_crypto);
        var held = SignParts("s"u8.ToArray(), 4, "v"u8.ToArray());
        if (change != "unverified")
        {
            Assert.AreEqual(RecordRejection.None, RecordValidator.Validate(held, held.Key, MaxValue, counting));
        }

        var signature = held.Signature.ToArray();
        signature[^1] ^= (byte)(change == "signature" ? 1 : 0);
        var incoming = change == "immutable"
            ? DhtRecord.CreateImmutable("v"u8.ToArray())
            : DhtRecord.FromParts(
                true,
                change == "value" ? "w"u8.ToArray() : held.Value,
                held.PublicKey,
                change == "salt" ? "t"u8.ToArray() : held.Salt,
                change == "sequence" ? 5 : held.Sequence,
                signature);

        Assert.IsFalse(incoming.TakeVerificationFrom(held), change);
        Assert.IsNull(incoming.SignatureVerifiedBy, change);
        if (change is "signature" or "value" or "sequence")
        {
            // The same key with other bytes: checked for real, and the forgery fails.
            Assert.AreEqual(RecordRejection.BadSignature, RecordValidator.Validate(incoming, incoming.Key, MaxValue, counting), change);
        }
    }

    private static DhtRecord SignParts(byte[] salt, long seq, byte[] value)
    {
        var signature = _signer.Sign(Bep44.SigningPayload(salt, seq, value));
        return DhtRecord.FromParts(true, value, _signer.PublicKey, salt, seq, signature);
    }
}
