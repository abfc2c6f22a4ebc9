using System.Security.Cryptography;

namespace Dht.Security;

/// <summary>
/// Maps Ed25519 keys to their X25519 (Montgomery) form so one identity key serves both signatures and key agreement:
/// public u = (1 + y) / (1 - y) mod 2^255 - 19 from the Edwards y coordinate (libsodium's
/// crypto_sign_ed25519_pk_to_curve25519, which also refuses non-canonical, off-curve and small-order points; NSec does
/// not expose it); private scalar = clamped first half of SHA-512(seed).
/// </summary>
internal static class Curve25519Conversion
{
    /// <summary>Converts an Ed25519 public key to X25519; false for keys that are not valid, prime-order points.</summary>
    public static bool TryEdwardsToMontgomery(ReadOnlySpan<byte> edPublicKey, Span<byte> montgomery) =>
        Sodium.TryEd25519PublicKeyToCurve25519(edPublicKey, montgomery);

    /// <summary>Derives the X25519 private scalar from an Ed25519 seed (clamped first half of SHA-512(seed)).</summary>
    public static void SeedToMontgomeryScalar(ReadOnlySpan<byte> seed, Span<byte> scalar)
    {
        Span<byte> hash = stackalloc byte[64];
        SHA512.HashData(seed, hash);
        hash[..32].CopyTo(scalar);
        scalar[0] &= 248;
        scalar[31] &= 127;
        scalar[31] |= 64;
        CryptographicOperations.ZeroMemory(hash);
    }
}
