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
    /// Derives the symmetric key shared by the local node and <paramref name="remote"/> from their static keys. Returns
    /// false (and a zero key) when <paramref name="remote"/> is not a usable public key (not on the curve, low order, all
    /// zero, or the local id).
    /// </summary>
    bool TryDeriveSessionKey(NodeId remote, out SessionKey key);

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (plaintext length + <see cref="SessionKey.TagSize"/>).</summary>
    void Seal(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext);

    /// <summary>Decrypts and authenticates; false when the tag does not verify.</summary>
    bool TryOpen(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext);

    /// <summary>Signs <paramref name="message"/> with the local node's Ed25519 key into 64 bytes.</summary>
    void SignAsNode(ReadOnlySpan<byte> message, Span<byte> signature);

    /// <summary>Verifies an Ed25519 signature (records are signed by arbitrary keys, not only node keys).</summary>
    bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);

    /// <summary>
    /// Derives <paramref name="output"/> (at most 32 bytes) from a secret only the local node holds (its private key) and
    /// <paramref name="context"/>: unpredictable to others, yet deterministic, so the engine needs no unseeded randomness.
    /// </summary>
    void DeriveLocalSecret(ReadOnlySpan<byte> context, Span<byte> output);

    /// <summary>A keyed MAC of <paramref name="data"/> truncated to <paramref name="mac"/>'s length (at most 32 bytes).</summary>
    void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac);
}

/// <summary>
/// A symmetric AEAD key shared with one peer: <see cref="Size"/> bytes held inline, so the session cache keeps each
/// session's key in its entry array and a session costs no object of its own. Only the crypto suite that derived it
/// reads the bytes (<see cref="ICryptoSuite.Seal"/>, <see cref="ICryptoSuite.TryOpen"/>); the cache zeroes them when the
/// session leaves. Tag size is always <see cref="TagSize"/>, nonce size <see cref="NonceSize"/>.
/// </summary>
[System.Runtime.CompilerServices.InlineArray(Size)]
internal struct SessionKey
{
    public const int Size = 32;
    public const int TagSize = 16;
    public const int NonceSize = 12;

    private byte _first;
}
