using System.Security.Cryptography;
using NSec.Cryptography;

namespace Dht.Security;

/// <summary>
/// Real cryptography through NSec (libsodium): X25519 static-static agreement on the identity keys converted to
/// Montgomery form (peers' keys converted once and kept in a <see cref="MontgomeryKeyCache"/>), HKDF-SHA-256 to a
/// ChaCha20-Poly1305 session key, Ed25519 signatures, HMAC-SHA-256.
/// </summary>
internal sealed class NSecCryptoSuite : ICryptoSuite, IDisposable
{
    private static ReadOnlySpan<byte> SessionInfoLabel => "dht/v1 session"u8;

    private readonly DhtIdentity _identity;
    private readonly MontgomeryKeyCache _peerKeys;
    private readonly byte[] _agreementScalar = new byte[32];
    private readonly byte[] _localSecret = new byte[32];

    /// <param name="identity">The local node's identity; the suite signs and agrees keys with it.</param>
    /// <param name="peerKeys">
    /// Peers' keys in X25519 form, kept between sessions; null for a cache of this suite's own
    /// (<see cref="MontgomeryKeyCache.DefaultCapacity"/> keys). The simulator passes one cache to all its suites.
    /// </param>
    public NSecCryptoSuite(DhtIdentity identity, MontgomeryKeyCache? peerKeys = null)
    {
        _identity = identity;
        _peerKeys = peerKeys ?? new MontgomeryKeyCache();
        LocalId = identity.Id;
        Span<byte> seed = stackalloc byte[DhtIdentity.SeedSize];
        try
        {
            identity.ExportSeed(seed);
            Curve25519Conversion.SeedToMontgomeryScalar(seed, _agreementScalar);
            HMACSHA256.HashData(seed, "dht/v1 local secret"u8, _localSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public NodeId LocalId { get; }

    public bool TryDeriveSessionKey(NodeId remote, out SessionKey key)
    {
        key = default;
        if (remote.IsZero || remote == LocalId)
        {
            return false;
        }

        Span<byte> remoteMont = stackalloc byte[32];
        Span<byte> shared = stackalloc byte[32];
        if (!_peerKeys.TryConvert(remote, remoteMont) || !Sodium.TryScalarMult(_agreementScalar, remoteMont, shared))
        {
            return false; // not a curve point, or a low-order one: the shared secret would be all zero
        }

        Span<byte> info = stackalloc byte[SessionInfoLabel.Length + 64];
        SessionInfoLabel.CopyTo(info);
        var (low, high) = LocalId < remote ? (LocalId, remote) : (remote, LocalId);
        low.WriteTo(info[SessionInfoLabel.Length..]);
        high.WriteTo(info[(SessionInfoLabel.Length + 32)..]);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, key, ReadOnlySpan<byte>.Empty, info);
        CryptographicOperations.ZeroMemory(shared);
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>ChaCha20-Poly1305 (IETF), through libsodium directly (see <see cref="Sodium"/>).</remarks>
    public void Seal(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext) =>
        Sodium.Seal(key, nonce, associatedData, plaintext, ciphertext);

    /// <inheritdoc/>
    public bool TryOpen(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext) =>
        Sodium.TryOpen(key, nonce, associatedData, ciphertext, plaintext);

    public void SignAsNode(ReadOnlySpan<byte> message, Span<byte> signature) => _identity.Sign(message, signature);

    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64)
        {
            return false;
        }

        return NSec.Cryptography.PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key)
            && key is not null
            && SignatureAlgorithm.Ed25519.Verify(key, message, signature);
    }

    public void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[32];
        HMACSHA256.HashData(key, data, full);
        full[..mac.Length].CopyTo(mac);
    }

    public void DeriveLocalSecret(ReadOnlySpan<byte> context, Span<byte> output)
    {
        Span<byte> full = stackalloc byte[32];
        HMACSHA256.HashData(_localSecret, context, full);
        full[..output.Length].CopyTo(output);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_agreementScalar);
        CryptographicOperations.ZeroMemory(_localSecret);
    }
}
