using System.Runtime.InteropServices;

namespace Dht.Security;

/// <summary>
/// Direct calls into libsodium (the native library NSec ships) for the per-datagram AEAD. NSec keeps every key in
/// guarded memory (sodium_malloc: several memory mappings per key); one such key per cached session would exhaust the
/// process's mapping limit (vm.max_map_count, 65,530 by default) with many sessions or many nodes in one process.
/// Session keys are therefore 32-byte arrays, and sealing calls the same libsodium primitive NSec would. The X25519
/// scalar derived from the identity is held the same way (zeroed on dispose); the Ed25519 identity key itself stays in
/// NSec's guarded memory.
/// </summary>
internal static partial class Sodium
{
    private const string Library = "libsodium";

    static Sodium()
    {
        if (sodium_init() < 0)
        {
            throw new InvalidOperationException("libsodium failed to initialise.");
        }
    }

    public static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        if (key.Length != 32 || nonce.Length != 12 || ciphertext.Length < plaintext.Length + 16)
        {
            throw new ArgumentException("ChaCha20-Poly1305: bad key, nonce or output length.");
        }

        var rc = crypto_aead_chacha20poly1305_ietf_encrypt(ciphertext, out _, plaintext, (ulong)plaintext.Length,
            associatedData, (ulong)associatedData.Length, IntPtr.Zero, nonce, key);
        if (rc != 0)
        {
            throw new InvalidOperationException("ChaCha20-Poly1305 encryption failed.");
        }
    }

    public static bool TryOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (key.Length != 32 || nonce.Length != 12 || ciphertext.Length < 16 || plaintext.Length < ciphertext.Length - 16)
        {
            return false;
        }

        return crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, out _, IntPtr.Zero, ciphertext, (ulong)ciphertext.Length,
            associatedData, (ulong)associatedData.Length, nonce, key) == 0;
    }

    /// <summary>X25519: <paramref name="shared"/> = scalar · point; false when the result is all zero (low-order point).</summary>
    public static bool TryScalarMult(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> point, Span<byte> shared)
    {
        if (scalar.Length != 32 || point.Length != 32 || shared.Length < 32)
        {
            return false;
        }

        return crypto_scalarmult(shared, scalar, point) == 0;
    }

    /// <summary>Ed25519 public key to X25519 (libsodium checks the point is canonical, on the curve and not of small order).</summary>
    public static bool TryEd25519PublicKeyToCurve25519(ReadOnlySpan<byte> edPublicKey, Span<byte> montgomery)
    {
        if (edPublicKey.Length != 32 || montgomery.Length < 32)
        {
            return false;
        }

        return crypto_sign_ed25519_pk_to_curve25519(montgomery, edPublicKey) == 0;
    }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    private static partial int crypto_sign_ed25519_pk_to_curve25519(Span<byte> curve25519Pk, ReadOnlySpan<byte> ed25519Pk);

    [LibraryImport(Library)]
    private static partial int crypto_scalarmult(Span<byte> q, ReadOnlySpan<byte> n, ReadOnlySpan<byte> p);

    [LibraryImport(Library)]
    private static partial int crypto_aead_chacha20poly1305_ietf_encrypt(
        Span<byte> c, out ulong clen, ReadOnlySpan<byte> m, ulong mlen, ReadOnlySpan<byte> ad, ulong adlen, IntPtr nsec, ReadOnlySpan<byte> npub, ReadOnlySpan<byte> k);

    [LibraryImport(Library)]
    private static partial int crypto_aead_chacha20poly1305_ietf_decrypt(
        Span<byte> m, out ulong mlen, IntPtr nsec, ReadOnlySpan<byte> c, ulong clen, ReadOnlySpan<byte> ad, ulong adlen, ReadOnlySpan<byte> npub, ReadOnlySpan<byte> k);
}
