using System.Buffers;
using Dht.Security;

namespace Dht.Records;

/// <summary>
/// Checks that a record is well-formed, lives under the key it was stored or requested under, and (mutable) is
/// signed by its public key. Storers run it before storing; readers before counting an answer.
/// </summary>
/// <remarks>
/// Hashing and signature checks go through <see cref="ICryptoSuite"/>, so a simulator stand-in must compute real
/// SHA-256 (records made by the public <see cref="DhtRecord"/> factories hash with SHA-256). Cheap checks run
/// before the hash, the hash before the signature. Store policy (sequence numbers, CAS, bounds) is
/// <see cref="RecordStorage"/>'s job.
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
            : ValidateImmutable(record, expectedKey, maxValueSize, crypto);
    }

    private static RecordRejection ValidateImmutable(DhtRecord record, NodeId expectedKey, int maxValueSize, ICryptoSuite crypto)
    {
        if (record.Value.IsEmpty)
        {
            return RecordRejection.EmptyValue;
        }

        if (record.Value.Length > maxValueSize)
        {
            return RecordRejection.ValueTooLarge;
        }

        Span<byte> hash = stackalloc byte[NodeId.Size];
        crypto.Sha256(record.Value.Span, hash);
        return new NodeId(hash) == expectedKey ? RecordRejection.None : RecordRejection.KeyMismatch;
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

        Span<byte> keyInput = stackalloc byte[DhtRecord.PublicKeySize + DhtRecord.MaxSaltSize];
        publicKey.CopyTo(keyInput);
        salt.CopyTo(keyInput[DhtRecord.PublicKeySize..]);
        Span<byte> hash = stackalloc byte[NodeId.Size];
        crypto.Sha256(keyInput[..(DhtRecord.PublicKeySize + salt.Length)], hash);
        if (new NodeId(hash) != expectedKey)
        {
            return RecordRejection.KeyMismatch;
        }

        var value = record.Value.Span;
        var length = Bep44.SigningPayloadLength(salt.Length, record.Sequence, value.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var payload = rented.AsSpan(0, Bep44.WriteSigningPayload(salt, record.Sequence, value, rented));
            return crypto.Verify(publicKey, payload, record.Signature.Span) ? RecordRejection.None : RecordRejection.BadSignature;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
