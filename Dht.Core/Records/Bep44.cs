using System.Buffers;
using System.Globalization;
using Dht.Security;

namespace Dht.Records;

/// <summary>
/// BEP 44 (BitTorrent "storing arbitrary data in the DHT") encodings: the canonical signing payload that Dht's
/// signed records share with BEP 44 items, a strict bencode validator, and an item validator for interop.
/// </summary>
/// <remarks>
/// The payload is <c>4:salt&lt;len&gt;:&lt;salt&gt;</c> (only when the salt is non-empty) followed by
/// <c>3:seqi&lt;seq&gt;e1:v</c> and the bencoded value. Dht's own records carry raw bytes and sign them as a
/// bencoded byte string (<c>&lt;len&gt;:&lt;bytes&gt;</c>); BEP 44 items may carry any bencoded value.
/// Pure functions; thread-safe.
/// </remarks>
internal static class Bep44
{
    /// <summary>BEP 44 limit on the bencoded <c>v</c> of an item (error 205 above it).</summary>
    public const int MaxBencodedValueSize = 1000;

    /// <summary>BEP 44 limit on the salt (error 207 above it).</summary>
    public const int MaxSaltSize = 64;

    /// <summary>Nesting limit of lists and dictionaries accepted by <see cref="IsValidBencode"/>.</summary>
    public const int MaxBencodeDepth = 32;

    /// <summary>BEP 44 error: invalid bencoding in <c>v</c> (BEP 44 at HEAD, commit 4c18700).</summary>
    public const int ErrorInvalidBencoding = 203;

    /// <summary>BEP 44 error: <c>v</c> too big.</summary>
    public const int ErrorValueTooBig = 205;

    /// <summary>BEP 44 error: invalid signature.</summary>
    public const int ErrorInvalidSignature = 206;

    /// <summary>BEP 44 error: salt too big.</summary>
    public const int ErrorSaltTooBig = 207;

    /// <summary>BEP 44 error: CAS mismatch.</summary>
    public const int ErrorCasMismatch = 301;

    /// <summary>BEP 44 error: sequence number less than current.</summary>
    public const int ErrorSequenceTooLow = 302;

    /// <summary>KRPC generic error (BEP 5), for rejections BEP 44 gives no code of their own.</summary>
    public const int ErrorGeneric = 201;

    private static ReadOnlySpan<byte> SaltPrefix => "4:salt"u8;

    private static ReadOnlySpan<byte> SeqPrefix => "3:seqi"u8;

    private static ReadOnlySpan<byte> ValuePrefix => "e1:v"u8;

    /// <summary>The payload signed for a record whose value is raw bytes (bencoded here as a byte string).</summary>
    public static byte[] SigningPayload(ReadOnlySpan<byte> salt, long seq, ReadOnlySpan<byte> value)
    {
        var payload = new byte[SigningPayloadLength(salt.Length, seq, value.Length)];
        WriteSigningPayload(salt, seq, value, payload);
        return payload;
    }

    /// <summary>The payload signed for a BEP 44 item whose <c>v</c> is given already bencoded (any bencode type).</summary>
    public static byte[] SigningPayloadEncoded(ReadOnlySpan<byte> salt, long seq, ReadOnlySpan<byte> bencodedValue)
    {
        var payload = new byte[SigningPayloadEncodedLength(salt.Length, seq, bencodedValue.Length)];
        WriteSigningPayloadEncoded(salt, seq, bencodedValue, payload);
        return payload;
    }

    /// <summary>The length of <see cref="SigningPayload"/> for these sizes.</summary>
    public static int SigningPayloadLength(int saltLength, long seq, int valueLength) =>
        SigningPayloadEncodedLength(saltLength, seq, DecimalLength(valueLength) + 1 + valueLength);

    /// <summary>The length of <see cref="SigningPayloadEncoded"/> for these sizes.</summary>
    public static int SigningPayloadEncodedLength(int saltLength, long seq, int bencodedValueLength)
    {
        var length = saltLength > 0 ? SaltPrefix.Length + DecimalLength(saltLength) + 1 + saltLength : 0;
        return length + SeqPrefix.Length + DecimalLength(seq) + ValuePrefix.Length + bencodedValueLength;
    }

    /// <summary>Writes <see cref="SigningPayload"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteSigningPayload(ReadOnlySpan<byte> salt, long seq, ReadOnlySpan<byte> value, Span<byte> destination)
    {
        var n = WriteHeader(salt, seq, destination);
        n += WriteByteString(value, destination[n..]);
        return n;
    }

    /// <summary>Writes <see cref="SigningPayloadEncoded"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteSigningPayloadEncoded(ReadOnlySpan<byte> salt, long seq, ReadOnlySpan<byte> bencodedValue, Span<byte> destination)
    {
        var n = WriteHeader(salt, seq, destination);
        bencodedValue.CopyTo(destination[n..]);
        return n + bencodedValue.Length;
    }

    /// <summary>
    /// Validates a BEP 44 mutable item as a storing node would (signature over the payload with the bencoded
    /// <paramref name="bencodedValue"/>). Checks, in order: salt size (207), <c>v</c> size (205), seq &gt;= 0,
    /// <c>v</c> bencoding (203), public key length, signature (206). Does not check the target: hash
    /// <c>k || salt</c> with SHA-1 for that.
    /// </summary>
    public static RecordRejection ValidateItem(
        ReadOnlySpan<byte> publicKey,
        ReadOnlySpan<byte> salt,
        long seq,
        ReadOnlySpan<byte> bencodedValue,
        ReadOnlySpan<byte> signature,
        ICryptoSuite crypto)
    {
        ArgumentNullException.ThrowIfNull(crypto);
        if (salt.Length > MaxSaltSize)
        {
            return RecordRejection.SaltTooLarge;
        }

        if (bencodedValue.Length > MaxBencodedValueSize)
        {
            return RecordRejection.ValueTooLarge;
        }

        if (seq < 0)
        {
            return RecordRejection.NegativeSequence;
        }

        if (!IsValidBencode(bencodedValue))
        {
            return RecordRejection.InvalidBencoding;
        }

        if (publicKey.Length != DhtRecord.PublicKeySize)
        {
            return RecordRejection.InvalidPublicKey;
        }

        if (signature.Length != DhtRecord.SignatureSize)
        {
            return RecordRejection.BadSignature;
        }

        var length = SigningPayloadEncodedLength(salt.Length, seq, bencodedValue.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var payload = rented.AsSpan(0, WriteSigningPayloadEncoded(salt, seq, bencodedValue, rented));
            return crypto.Verify(publicKey, payload, signature) ? RecordRejection.None : RecordRejection.BadSignature;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The KRPC error code BEP 44 assigns to a rejection, or <see cref="ErrorGeneric"/> when it has none.</summary>
    public static int ErrorCode(RecordRejection rejection) => rejection switch
    {
        RecordRejection.InvalidBencoding => ErrorInvalidBencoding,
        RecordRejection.ValueTooLarge => ErrorValueTooBig,
        RecordRejection.BadSignature => ErrorInvalidSignature,
        RecordRejection.SaltTooLarge => ErrorSaltTooBig,
        RecordRejection.CasMismatch => ErrorCasMismatch,
        RecordRejection.SequenceTooLow or RecordRejection.SequenceConflict => ErrorSequenceTooLow,
        _ => ErrorGeneric,
    };

    /// <summary>
    /// True when <paramref name="data"/> is exactly one canonical bencoded value: integers without leading zeros
    /// or <c>-0</c>, byte strings whose length prefix fits, lists, and dictionaries whose keys are byte strings in
    /// strictly ascending byte order; nesting at most <see cref="MaxBencodeDepth"/>; no trailing bytes.
    /// </summary>
    public static bool IsValidBencode(ReadOnlySpan<byte> data) => BencodeChecker.IsValid(data, MaxBencodeDepth);

    private static int WriteHeader(ReadOnlySpan<byte> salt, long seq, Span<byte> destination)
    {
        var n = 0;
        if (!salt.IsEmpty)
        {
            SaltPrefix.CopyTo(destination);
            n = SaltPrefix.Length;
            n += WriteByteString(salt, destination[n..]);
        }

        SeqPrefix.CopyTo(destination[n..]);
        n += SeqPrefix.Length;
        n += WriteDecimal(seq, destination[n..]);
        ValuePrefix.CopyTo(destination[n..]);
        return n + ValuePrefix.Length;
    }

    private static int WriteByteString(ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        var n = WriteDecimal(bytes.Length, destination);
        destination[n++] = (byte)':';
        bytes.CopyTo(destination[n..]);
        return n + bytes.Length;
    }

    private static int WriteDecimal(long number, Span<byte> destination)
    {
        if (!number.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture))
        {
            throw new ArgumentException("Destination too small for the signing payload.", nameof(destination));
        }

        return written;
    }

    private static int DecimalLength(long number)
    {
        if (number == long.MinValue)
        {
            return 20;
        }

        var length = number < 0 ? 2 : 1;
        var magnitude = Math.Abs(number);
        while (magnitude >= 10)
        {
            magnitude /= 10;
            length++;
        }

        return length;
    }
}
