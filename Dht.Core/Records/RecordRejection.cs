namespace Dht;

/// <summary>Why a record was not accepted for storage or not counted as a valid answer.</summary>
/// <remarks>
/// Validation reasons come first (the record itself is wrong), then store-policy reasons (the record is valid but
/// conflicts with what is stored or does not fit the node's bounds).
/// </remarks>
public enum RecordRejection
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>The value is larger than the configured maximum value size (BEP 44 error 205).</summary>
    ValueTooLarge,

    /// <summary>The salt is longer than 64 bytes (BEP 44 error 207).</summary>
    SaltTooLarge,

    /// <summary>The sequence number of a mutable record is negative.</summary>
    NegativeSequence,

    /// <summary>The public key of a mutable record is not 32 bytes.</summary>
    InvalidPublicKey,

    /// <summary>The signature is missing, not 64 bytes, or does not verify over the BEP 44 payload (BEP 44 error 206).</summary>
    BadSignature,

    /// <summary>
    /// The record does not hash to the key it was stored or requested under: SHA-256(value) for an immutable
    /// record, SHA-256(public key || salt) for a mutable one.
    /// </summary>
    KeyMismatch,

    /// <summary>A mutable record with a higher sequence number is already stored (BEP 44 error 302).</summary>
    SequenceTooLow,

    /// <summary>A mutable record with the same sequence number but a different value is already stored (BEP 44 error 302).</summary>
    SequenceConflict,

    /// <summary>The compare-and-swap sequence number differs from the stored record's sequence number (BEP 44 error 301).</summary>
    CasMismatch,

    /// <summary>
    /// An immutable record and a mutable record share the key (an immutable value equal to public key || salt).
    /// A stored mutable record is never replaced by an immutable one.
    /// </summary>
    KindConflict,

    /// <summary>The store is at its record-count or total-byte bound.</summary>
    StoreFull,

    /// <summary>The node that sent the record already has the maximum number of records stored here.</summary>
    SourceQuotaExceeded,

    /// <summary>The record's time to live is zero or negative.</summary>
    Expired,

    /// <summary>A BEP 44 item's <c>v</c> is not canonical bencoding (BEP 44 error 203). Interop only.</summary>
    InvalidBencoding,

    /// <summary>An immutable record with an empty value (nothing to store; BEP 44 rejects it too).</summary>
    EmptyValue,
}
