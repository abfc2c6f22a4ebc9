using System.Security.Cryptography;
using NSec.Cryptography;

namespace Dht.Security;

/// <summary>
/// Real cryptography through NSec (libsodium): X25519 static-static agreement on the identity keys converted to
/// Montgomery form, HKDF-SHA-256 to an ChaCha20-Poly1305 session key, Ed25519 signatures, SHA-256, HMAC-SHA-256.
/// </summary>
internal sealed class NSecCryptoSuite : ICryptoSuite, IDisposable
{
    private static ReadOnlySpan<byte> SessionInfoLabel => "dht/v1 session"u8;

    private readonly DhtIdentity _identity;
    private readonly Key _agreementKey;
    private readonly byte[] _localSecret = new byte[32];

    public NSecCryptoSuite(DhtIdentity identity)
    {
        _identity = identity;
        LocalId = identity.Id;
        Span<byte> seed = stackalloc byte[DhtIdentity.SeedSize];
        Span<byte> scalar = stackalloc byte[32];
        try
        {
            identity.ExportSeed(seed);
            Curve25519Conversion.SeedToMontgomeryScalar(seed, scalar);
            _agreementKey = Key.Import(KeyAgreementAlgorithm.X25519, scalar, KeyBlobFormat.RawPrivateKey);
            HMACSHA256.HashData(seed, "dht/v1 local secret"u8, _localSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    public NodeId LocalId { get; }

    public SessionKey? DeriveSessionKey(NodeId remote)
    {
        if (remote.IsZero || remote == LocalId)
        {
            return null;
        }

        Span<byte> remoteEd = stackalloc byte[32];
        Span<byte> remoteMont = stackalloc byte[32];
        remote.WriteTo(remoteEd);
        if (!Curve25519Conversion.TryEdwardsToMontgomery(remoteEd, remoteMont)
            || !NSec.Cryptography.PublicKey.TryImport(KeyAgreementAlgorithm.X25519, remoteMont, KeyBlobFormat.RawPublicKey, out var remoteKey)
            || remoteKey is null)
        {
            return null;
        }

        using var shared = KeyAgreementAlgorithm.X25519.Agree(_agreementKey, remoteKey);
        if (shared is null)
        {
            return null; // low-order point: the shared secret would be all zero
        }

        Span<byte> info = stackalloc byte[SessionInfoLabel.Length + 64];
        SessionInfoLabel.CopyTo(info);
        var (low, high) = LocalId < remote ? (LocalId, remote) : (remote, LocalId);
        low.WriteTo(info[SessionInfoLabel.Length..]);
        high.WriteTo(info[(SessionInfoLabel.Length + 32)..]);
        var key = KeyDerivationAlgorithm.HkdfSha256.DeriveKey(shared, ReadOnlySpan<byte>.Empty, info, AeadAlgorithm.ChaCha20Poly1305);
        return new NSecSessionKey(key);
    }

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

    public void Sha256(ReadOnlySpan<byte> data, Span<byte> hash) => SHA256.HashData(data, hash);

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
        _agreementKey.Dispose();
        CryptographicOperations.ZeroMemory(_localSecret);
    }

    private sealed class NSecSessionKey(Key key) : SessionKey
    {
        public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext) =>
            AeadAlgorithm.ChaCha20Poly1305.Encrypt(key, nonce, associatedData, plaintext, ciphertext);

        public override bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext) =>
            ciphertext.Length >= TagSize && AeadAlgorithm.ChaCha20Poly1305.Decrypt(key, nonce, associatedData, ciphertext, plaintext);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                key.Dispose();
            }
        }
    }
}
