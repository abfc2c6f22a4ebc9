using System.Buffers;
using Dht.Security;

namespace Dht.Records;

/// <summary>
/// Checks that a record is well-formed, lives under the key it was stored or requested under, and (mutable) is
/// signed by its public key. Storers run it before storing; readers before counting an answer.
/// </summary>
/// <remarks>
/// The key check compares the expected key with <see cref="DhtRecord.Key"/>, which every
/// <see cref="DhtRecord"/> factory computes from the record's own content (SHA-256 of the value, or of public key and
/// salt; the constructor is private), so it is the hash check without hashing again: a received record was hashed once,
/// when it was decoded. The signature check goes through <see cref="ICryptoSuite"/>, once per record instance and suite
/// type (<see cref="DhtRecord.SignatureVerifiedBy"/>). Cheap checks run before the key, the key before the signature.
/// Store policy (sequence numbers, CAS, bounds) is <see cref="RecordStorage"/>'s job.
/// </remarks>
internal static class RecordValidator
{
    /// <summary>The default bound on a record's value in bytes (BEP 44's 1000), used by the engine's option.</summary>
    public const int DefaultMaxValueSize = 1000;

    public static RecordRejection Validate(DhtRecord record, NodeId expectedKey, int maxValueSize, ICryptoSuite crypto)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(crypto);
        return record.IsMutable
            ? ValidateMutable(record, expectedKey, maxValueSize, crypto)
            : ValidateImmutable(record, expectedKey, maxValueSize);
    }

    private static RecordRejection ValidateImmutable(DhtRecord record, NodeId expectedKey, int maxValueSize)
    {
        if (record.Value.IsEmpty)
        {
            return RecordRejection.EmptyValue;
        }

        if (record.Value.Length > maxValueSize)
        {
            return RecordRejection.ValueTooLarge;
        }

        return record.Key == expectedKey ? RecordRejection.None : RecordRejection.KeyMismatch;
    }

    private static RecordRejection ValidateMutable(DhtRecord record, NodeId expectedKey, int maxValueSize, ICryptoSuite crypto)
    {
        var publicKey = record.PublicKey.Span;
        var salt = record.Salt.Span;
        if (publicKey.Length != DhtRecord.PublicKeySize)
        {
            return RecordRejection.InvalidPublicKey;
        }

        if (salt.Length > DhtRecord.MaxSaltSize)
        {
            return RecordRejection.SaltTooLarge;
        }

        if (record.Sequence < 0)
        {
            return RecordRejection.NegativeSequence;
        }

        if (record.Value.Length > maxValueSize)
        {
            return RecordRejection.ValueTooLarge;
        }

        if (record.Signature.Length != DhtRecord.SignatureSize)
        {
            return RecordRejection.BadSignature;
        }

        if (record.Key != expectedKey)
        {
            return RecordRejection.KeyMismatch;
        }

        // One check per instance and suite type: a record read from the store again, or a re-store that took the held
        // copy's verification (DhtRecord.TakeVerificationFrom), has passed it.
        var suite = crypto.GetType();
        if (record.SignatureVerifiedBy == suite)
        {
            return RecordRejection.None;
        }

        var value = record.Value.Span;
        var length = Bep44.SigningPayloadLength(salt.Length, record.Sequence, value.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var payload = rented.AsSpan(0, Bep44.WriteSigningPayload(salt, record.Sequence, value, rented));
            if (!crypto.Verify(publicKey, payload, record.Signature.Span))
            {
                return RecordRejection.BadSignature;
            }

            record.SignatureVerifiedBy = suite;
            return RecordRejection.None;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
