using System.Text;
using Dht.Records;

namespace Dht.Tests.Records;

[TestClass]
public sealed class Bep44EncodingTests
{
    [TestMethod]
    [DataRow("", 0L, "", "3:seqi0e1:v0:")]
    [DataRow("", -7L, "ab", "3:seqi-7e1:v2:ab")]
    [DataRow("s", 9223372036854775807L, "v", "4:salt1:s3:seqi9223372036854775807e1:v1:v")]
    [DataRow("", -9223372036854775808L, "", "3:seqi-9223372036854775808e1:v0:")]
    public void SigningPayload_EdgeSequences_MatchesBep44Layout(string salt, long seq, string value, string expected)
    {
        var payload = Bep44.SigningPayload(Encoding.ASCII.GetBytes(salt), seq, Encoding.ASCII.GetBytes(value));
        Assert.AreEqual(expected, Encoding.ASCII.GetString(payload));
        Assert.AreEqual(payload.Length, Bep44.SigningPayloadLength(salt.Length, seq, value.Length));
    }

    [TestMethod]
    [DataRow(9)]
    [DataRow(10)]
    [DataRow(999)]
    [DataRow(1000)]
    [DataRow(60_000)]
    public void SigningPayload_LengthPrefixDigits_LengthMatches(int valueLength)
    {
        var payload = Bep44.SigningPayload([], 1, new byte[valueLength]);
        Assert.AreEqual(Bep44.SigningPayloadLength(0, 1, valueLength), payload.Length);
        StringAssert.StartsWith(Encoding.ASCII.GetString(payload, 0, 20), $"3:seqi1e1:v{valueLength}:");
    }

    [TestMethod]
    [DataRow("i0e")]
    [DataRow("i-1e")]
    [DataRow("i42e")]
    [DataRow("i123456789012345678901234567890e")]
    [DataRow("0:")]
    [DataRow("3:abc")]
    [DataRow("le")]
    [DataRow("de")]
    [DataRow("l1:ai1el1:bee")]
    [DataRow("d1:ai1e1:b2:xye")]
    [DataRow("d0:i1e1:ai2e2:aai3e1:bdee")]
    public void IsValidBencode_CanonicalValue_True(string text)
    {
        Assert.IsTrue(Bep44.IsValidBencode(Encoding.ASCII.GetBytes(text)), text);
    }

    [TestMethod]
    [DataRow("", DisplayName = "empty")]
    [DataRow("i-0e", DisplayName = "minus zero")]
    [DataRow("i00e", DisplayName = "leading zero")]
    [DataRow("i01e", DisplayName = "leading zero 2")]
    [DataRow("i-01e", DisplayName = "negative leading zero")]
    [DataRow("ie", DisplayName = "no digits")]
    [DataRow("i-e", DisplayName = "only minus")]
    [DataRow("i1", DisplayName = "unterminated int")]
    [DataRow("i1.5e", DisplayName = "not an int")]
    [DataRow("4:abc", DisplayName = "string too short")]
    [DataRow("2:abc", DisplayName = "trailing byte")]
    [DataRow("03:abc", DisplayName = "length with leading zero")]
    [DataRow(":abc", DisplayName = "no length")]
    [DataRow("99999999999999999999:a", DisplayName = "huge length")]
    [DataRow("l", DisplayName = "unterminated list")]
    [DataRow("li1e", DisplayName = "unterminated list 2")]
    [DataRow("d", DisplayName = "unterminated dict")]
    [DataRow("d1:a", DisplayName = "dict key without value")]
    [DataRow("di1ei2ee", DisplayName = "int dict key")]
    [DataRow("d1:bi1e1:ai2ee", DisplayName = "unsorted keys")]
    [DataRow("d1:ai1e1:ai2ee", DisplayName = "duplicate keys")]
    [DataRow("d2:aai1e1:bi2e1:ai3ee", DisplayName = "unsorted after prefix")]
    [DataRow("i1ei2e", DisplayName = "two values")]
    [DataRow("e", DisplayName = "lone end")]
    [DataRow("x", DisplayName = "unknown type")]
    public void IsValidBencode_Invalid_False(string text)
    {
        Assert.IsFalse(Bep44.IsValidBencode(Encoding.ASCII.GetBytes(text)), text);
    }

    [TestMethod]
    public void IsValidBencode_DepthAtLimit_TrueAndBeyond_False()
    {
        var atLimit = new string('l', Bep44.MaxBencodeDepth) + new string('e', Bep44.MaxBencodeDepth);
        var beyond = new string('l', Bep44.MaxBencodeDepth + 1) + new string('e', Bep44.MaxBencodeDepth + 1);
        Assert.IsTrue(Bep44.IsValidBencode(Encoding.ASCII.GetBytes(atLimit)));
        Assert.IsFalse(Bep44.IsValidBencode(Encoding.ASCII.GetBytes(beyond)));
    }

    [TestMethod]
    public void IsValidBencode_DeepHostileNesting_FalseWithoutStackOverflow()
    {
        var hostile = Encoding.ASCII.GetBytes(new string('l', 1_000_000));
        Assert.IsFalse(Bep44.IsValidBencode(hostile));
    }

    [TestMethod]
    public void IsValidBencode_BinaryKeysCompareUnsigned_True()
    {
        byte[] dict = [(byte)'d', (byte)'1', (byte)':', 0x7f, (byte)'i', (byte)'1', (byte)'e', (byte)'1', (byte)':', 0x80, (byte)'i', (byte)'2', (byte)'e', (byte)'e'];
        Assert.IsTrue(Bep44.IsValidBencode(dict));
    }

    [TestMethod]
    [DataRow(RecordRejection.InvalidBencoding, 203)]
    [DataRow(RecordRejection.ValueTooLarge, 205)]
    [DataRow(RecordRejection.BadSignature, 206)]
    [DataRow(RecordRejection.SaltTooLarge, 207)]
    [DataRow(RecordRejection.CasMismatch, 301)]
    [DataRow(RecordRejection.SequenceTooLow, 302)]
    [DataRow(RecordRejection.SequenceConflict, 302)]
    [DataRow(RecordRejection.NegativeSequence, 201)]
    [DataRow(RecordRejection.StoreFull, 201)]
    public void ErrorCode_Rejection_MapsToBep44Code(RecordRejection rejection, int code)
    {
        Assert.AreEqual(code, Bep44.ErrorCode(rejection));
    }
}
