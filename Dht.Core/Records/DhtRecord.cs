using System.Globalization;
using System.Security.Cryptography;
using Dht.Records;

namespace Dht;

/// <summary>
/// A value stored in the DHT: immutable (addressed by the hash of its value) or signed mutable (BEP 44 semantics,
/// addressed by the hash of its Ed25519 public key and salt, highest sequence number wins).
/// </summary>
/// <remarks>
/// <para>Immutable: <see cref="Key"/> = SHA-256(value); <see cref="PublicKey"/>, <see cref="Salt"/> and
/// <see cref="Signature"/> are empty and <see cref="Sequence"/> is 0.</para>
/// <para>Mutable: <see cref="Key"/> = SHA-256(public key || salt); the signature covers the BEP 44 payload
/// <c>4:salt&lt;len&gt;:&lt;salt&gt;</c> (only when the salt is non-empty) <c>3:seqi&lt;seq&gt;e1:v&lt;len&gt;:&lt;value&gt;</c>,
/// so a record signed here is also a valid BEP 44 item whose <c>v</c> is a byte string.</para>
/// <para>Instances are immutable (factories copy their inputs) and thread-safe; the only state an instance gains is
/// the DHT's note that its signature passed a check, which no public member shows. Records built with
/// <see cref="FromParts"/> are not validated: the DHT validates every record it stores or returns.</para>
/// </remarks>
public sealed class DhtRecord
{
    /// <summary>
    /// The largest value any record can carry, in bytes: what fits in one 1280-byte datagram with its envelope (1007). Nodes accept
    /// less by default (1000 bytes, the BEP 44 limit); that bound is a node option.
    /// </summary>
    public const int MaxValueSize = Wire.WireConstants.MaxValueSize;

    /// <summary>The largest salt, in bytes (64, as in BEP 44).</summary>
    public const int MaxSaltSize = 64;

    /// <summary>The size of an Ed25519 public key (32 bytes).</summary>
    public const int PublicKeySize = 32;

    /// <summary>The size of an Ed25519 signature (64 bytes).</summary>
    public const int SignatureSize = 64;

    private DhtRecord(NodeId key, bool isMutable, byte[] value, byte[] publicKey, byte[] salt, long sequence, byte[] signature)
    {
        Key = key;
        IsMutable = isMutable;
        Value = value;
        PublicKey = publicKey;
        Salt = salt;
        Sequence = sequence;
        Signature = signature;
    }

    /// <summary>The key the record is stored under (see the remarks on <see cref="DhtRecord"/>).</summary>
    public NodeId Key { get; }

    /// <summary>
    /// The type of the crypto suite whose Ed25519 check this instance's signature passed, or null while none has: set
    /// by <see cref="RecordValidator"/> only, read by it so that one instance is verified once, and handed on by
    /// <see cref="TakeVerificationFrom"/> to a byte-identical copy (a re-store of a record a node holds). A fact about the
    /// instance's content, which never changes, so setting it races with nothing but the same value. The suite's type
    /// is kept rather than a flag because suites of different types (real and modeled crypto, test doubles) do not
    /// accept the same signatures.
    /// </summary>
    internal Type? SignatureVerifiedBy { get; set; }

    /// <summary>
    /// Marks this record's signature as verified when <paramref name="held"/>, whose signature was, carries exactly the
    /// same bytes (kind, key, value, public key, salt, sequence number and signature): the same bytes pass the same check.
    /// Returns whether it did. Compares at most about 1.2 KB; a signature check costs tens of microseconds.
    /// </summary>
    internal bool TakeVerificationFrom(DhtRecord held)
    {
        if (SignatureVerifiedBy is not null || held.SignatureVerifiedBy is not { } suite || !IsMutable
            || held.Key != Key || !HasSameContent(held) || !Signature.Span.SequenceEqual(held.Signature.Span))
        {
            return false;
        }

        SignatureVerifiedBy = suite;
        return true;
    }

    /// <summary>True for a signed mutable record, false for an immutable one.</summary>
    public bool IsMutable { get; }

    /// <summary>The value bytes.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The signer's 32-byte Ed25519 public key; empty for an immutable record.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The salt (at most 64 bytes), which lets one key pair sign many records; empty when none.</summary>
    public ReadOnlyMemory<byte> Salt { get; }

    /// <summary>The sequence number of a mutable record (higher replaces lower); 0 for an immutable record.</summary>
    public long Sequence { get; }

    /// <summary>The 64-byte Ed25519 signature over the BEP 44 payload; empty for an immutable record.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>
    /// The bytes the record occupies in a store: the lengths of value, public key, salt and signature. The unit of
    /// <see cref="IRecordStore.TotalBytes"/>.
    /// </summary>
    public int SizeInBytes => Value.Length + PublicKey.Length + Salt.Length + Signature.Length;

    /// <summary>Creates an immutable record, stored under SHA-256(<paramref name="value"/>).</summary>
    /// <param name="value">The value; copied.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ArgumentException"><paramref name="value"/> is longer than <see cref="MaxValueSize"/>.</exception>
    public static DhtRecord CreateImmutable(ReadOnlyMemory<byte> value)
    {
        CheckValueSize(value.Length, nameof(value));
        var bytes = value.ToArray();
        return new DhtRecord(ImmutableKey(bytes), false, bytes, [], [], 0, []);
    }

    /// <summary>
    /// Creates a mutable record signed by <paramref name="signer"/>, stored under
    /// SHA-256(<paramref name="signer"/>'s public key || <paramref name="salt"/>).
    /// </summary>
    /// <param name="signer">The key pair that signs; its public key goes into the record.</param>
    /// <param name="value">The value; copied.</param>
    /// <param name="sequence">The sequence number, 0 or more; a put replaces stored records with a lower one.</param>
    /// <param name="salt">An optional salt of at most 64 bytes; copied.</param>
    /// <returns>The signed record.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="signer"/> is null.</exception>
    /// <exception cref="ArgumentException">The salt is longer than 64 bytes, or the value longer than <see cref="MaxValueSize"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequence"/> is negative.</exception>
    public static DhtRecord CreateSigned(DhtIdentity signer, ReadOnlyMemory<byte> value, long sequence, ReadOnlyMemory<byte> salt = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        CheckSaltSize(salt.Length, nameof(salt));
        CheckValueSize(value.Length, nameof(value));
        if (sequence < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, "A record's sequence number must be 0 or more.");
        }

        var valueBytes = value.ToArray();
        var saltBytes = salt.ToArray();
        var publicKey = signer.PublicKey.ToArray();
        var signature = signer.Sign(Bep44.SigningPayload(saltBytes, sequence, valueBytes));
        return new DhtRecord(MutableKeyUnchecked(publicKey, saltBytes), true, valueBytes, publicKey, saltBytes, sequence, signature);
    }

    /// <summary>
    /// Rebuilds a record received from another node or loaded from storage. Nothing is verified here (the DHT
    /// validates every record before storing or returning it); only the key is computed from the parts.
    /// </summary>
    /// <param name="isMutable">True for a signed mutable record.</param>
    /// <param name="value">The value; copied.</param>
    /// <param name="publicKey">The signer's public key; empty for an immutable record. Copied.</param>
    /// <param name="salt">The salt, or empty. Copied.</param>
    /// <param name="sequence">The sequence number; 0 for an immutable record.</param>
    /// <param name="signature">The signature; empty for an immutable record. Copied.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ArgumentException">An immutable record was given a public key, salt, signature or non-zero sequence number.</exception>
    public static DhtRecord FromParts(
        bool isMutable,
        ReadOnlyMemory<byte> value,
        ReadOnlyMemory<byte> publicKey,
        ReadOnlyMemory<byte> salt,
        long sequence,
        ReadOnlyMemory<byte> signature)
    {
        var valueBytes = value.ToArray();
        if (!isMutable)
        {
            if (!publicKey.IsEmpty || !salt.IsEmpty || !signature.IsEmpty || sequence != 0)
            {
                throw new ArgumentException(
                    "An immutable record has no public key, salt, signature or sequence number; pass empty buffers and 0.",
                    nameof(isMutable));
            }

            return new DhtRecord(ImmutableKey(valueBytes), false, valueBytes, [], [], 0, []);
        }

        var publicKeyBytes = publicKey.ToArray();
        var saltBytes = salt.ToArray();
        return new DhtRecord(
            MutableKeyUnchecked(publicKeyBytes, saltBytes), true, valueBytes, publicKeyBytes, saltBytes, sequence, signature.ToArray());
    }

    /// <summary>The key of an immutable record: SHA-256(<paramref name="value"/>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The key.</returns>
    public static NodeId ImmutableKey(ReadOnlySpan<byte> value)
    {
        Span<byte> hash = stackalloc byte[NodeId.Size];
        SHA256.HashData(value, hash);
        return new NodeId(hash);
    }

    /// <summary>The key of a mutable record: SHA-256(<paramref name="publicKey"/> || <paramref name="salt"/>).</summary>
    /// <param name="publicKey">The 32-byte Ed25519 public key.</param>
    /// <param name="salt">The salt (at most 64 bytes), or empty.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The public key is not 32 bytes, or the salt is longer than 64 bytes.</exception>
    public static NodeId MutableKey(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> salt)
    {
        if (publicKey.Length != PublicKeySize)
        {
            throw new ArgumentException($"An Ed25519 public key is {PublicKeySize} bytes; got {publicKey.Length}.", nameof(publicKey));
        }

        CheckSaltSize(salt.Length, nameof(salt));
        return MutableKeyUnchecked(publicKey, salt);
    }

    /// <summary>A short description for logs: kind, key, and for mutable records the sequence number.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => IsMutable
        ? string.Create(CultureInfo.InvariantCulture, $"mutable {Key} seq={Sequence} ({Value.Length} B)")
        : string.Create(CultureInfo.InvariantCulture, $"immutable {Key} ({Value.Length} B)");

    /// <summary>True when both records carry the same kind, value, public key, salt and sequence number.</summary>
    internal bool HasSameContent(DhtRecord other) =>
        IsMutable == other.IsMutable
        && Sequence == other.Sequence
        && Value.Span.SequenceEqual(other.Value.Span)
        && PublicKey.Span.SequenceEqual(other.PublicKey.Span)
        && Salt.Span.SequenceEqual(other.Salt.Span);

    // One-shot over the concatenation (at most 32 + 64 bytes, on the stack): an incremental hash object per record
    // decoded was an allocation and a native context made and freed for every signed record a node receives.
    private static NodeId MutableKeyUnchecked(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> salt)
    {
        Span<byte> input = stackalloc byte[PublicKeySize + MaxSaltSize];
        var length = publicKey.Length + salt.Length;
        if (length > input.Length)
        {
            // Only through FromParts, which checks no size: such a record fails validation anyway (key size, salt size).
            return MutableKeyOfLongParts(publicKey, salt);
        }

        publicKey.CopyTo(input);
        salt.CopyTo(input[publicKey.Length..]);
        Span<byte> hash = stackalloc byte[NodeId.Size];
        SHA256.HashData(input[..length], hash);
        return new NodeId(hash);
    }

    private static NodeId MutableKeyOfLongParts(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> salt)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(publicKey);
        sha.AppendData(salt);
        Span<byte> hash = stackalloc byte[NodeId.Size];
        sha.GetHashAndReset(hash);
        return new NodeId(hash);
    }

    private static void CheckValueSize(int length, string paramName)
    {
        if (length > MaxValueSize)
        {
            throw new ArgumentException($"A record's value is at most {MaxValueSize} bytes; got {length}.", paramName);
        }
    }

    private static void CheckSaltSize(int length, string paramName)
    {
        if (length > MaxSaltSize)
        {
            throw new ArgumentException($"A record's salt is at most {MaxSaltSize} bytes; got {length}.", paramName);
        }
    }
}
