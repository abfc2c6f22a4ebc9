using System.Numerics;
using System.Security.Cryptography;

namespace Dht.Security;

/// <summary>
/// Maps Ed25519 keys to their X25519 (Montgomery) form so one identity key serves both signatures and key agreement:
/// public u = (1 + y) / (1 - y) mod 2^255 - 19 from the Edwards y coordinate; private scalar = clamped first half of
/// SHA-512(seed). This is the birational map libsodium exposes as crypto_sign_ed25519_pk_to_curve25519; NSec does not
/// expose it, so it is written here (BigInteger arithmetic, run once per peer and cached).
/// </summary>
internal static class Curve25519Conversion
{
    private static readonly BigInteger P = (BigInteger.One << 255) - 19;

    /// <summary>Converts an Ed25519 public key to X25519; false for encodings that are not field elements or map to nothing.</summary>
    public static bool TryEdwardsToMontgomery(ReadOnlySpan<byte> edPublicKey, Span<byte> montgomery)
    {
        if (edPublicKey.Length != 32 || montgomery.Length < 32)
        {
            return false;
        }

        Span<byte> yBytes = stackalloc byte[32];
        edPublicKey.CopyTo(yBytes);
        yBytes[31] &= 0x7F;
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: false);
        if (y >= P || y.IsOne)
        {
            return false;
        }

        var numerator = (BigInteger.One + y) % P;
        var denominator = (BigInteger.One - y + P) % P;
        var u = numerator * BigInteger.ModPow(denominator, P - 2, P) % P;
        montgomery[..32].Clear();
        if (!u.TryWriteBytes(montgomery[..32], out _, isUnsigned: true, isBigEndian: false))
        {
            return false;
        }

        return !u.IsZero;
    }

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
