namespace Dht.Security;

/// <summary>
/// The engine's only way to do cryptography: the seam that lets the simulator swap real crypto (NSec) for a cheap
/// deterministic stand-in with identical message sizes. One instance per engine, bound to that node's identity.
/// </summary>
internal interface ICryptoSuite
{
    /// <summary>The local node's id (its Ed25519 public key).</summary>
    NodeId LocalId { get; }

    /// <summary>
    /// Derives the symmetric key shared by the local node and <paramref name="remote"/> from their static keys.
    /// Returns null when <paramref name="remote"/> is not a usable public key (not on the curve, low order, all zero).
    /// </summary>
    SessionKey? DeriveSessionKey(NodeId remote);

    /// <summary>Signs <paramref name="message"/> with the local node's Ed25519 key into 64 bytes.</summary>
    void SignAsNode(ReadOnlySpan<byte> message, Span<byte> signature);

    /// <summary>Verifies an Ed25519 signature (records are signed by arbitrary keys, not only node keys).</summary>
    bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);

    /// <summary>SHA-256 of <paramref name="data"/> into 32 bytes.</summary>
    void Sha256(ReadOnlySpan<byte> data, Span<byte> hash);

    /// <summary>
    /// Derives <paramref name="output"/> (at most 32 bytes) from a secret only the local node holds (its private key) and
    /// <paramref name="context"/>: unpredictable to others, yet deterministic, so the engine needs no unseeded randomness.
    /// </summary>
    void DeriveLocalSecret(ReadOnlySpan<byte> context, Span<byte> output);

    /// <summary>A keyed MAC of <paramref name="data"/> truncated to <paramref name="mac"/>'s length (at most 32 bytes).</summary>
    void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac);
}

/// <summary>A symmetric AEAD key shared with one peer. Tag size is always <see cref="TagSize"/>, nonce size <see cref="NonceSize"/>.</summary>
internal abstract class SessionKey : IDisposable
{
    public const int TagSize = 16;
    public const int NonceSize = 12;

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (plaintext length + 16).</summary>
    public abstract void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext);

    /// <summary>Decrypts and authenticates; false when the tag does not verify.</summary>
    public abstract bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
