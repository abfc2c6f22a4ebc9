using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using Dht.Security;

namespace Dht.Simulator.Crypto;

/// <summary>
/// A cheap deterministic stand-in for the engine's cryptography, for runs too large for real X25519 and Ed25519.
/// Every output has the real size (16-byte tags, 64-byte signatures) so datagrams are byte-for-byte as long as with
/// real crypto; forgery is still detected (tags and signatures are keyed hashes), but nothing is secret.
/// SHA-256 stays real: record keys must match the ones the public factories compute.
/// </summary>
internal sealed class ModeledCryptoSuite(NodeId localId) : ICryptoSuite
{
    public NodeId LocalId { get; } = localId;

    public bool TryDeriveSessionKey(NodeId remote, out SessionKey key)
    {
        key = default;
        if (remote.IsZero || remote == LocalId)
        {
            return false;
        }

        var (low, high) = LocalId < remote ? (LocalId, remote) : (remote, LocalId);
        Span<byte> ids = stackalloc byte[64];
        low.WriteTo(ids);
        high.WriteTo(ids[32..]);
        BinaryPrimitives.WriteUInt64LittleEndian(key, XxHash3.HashToUInt64(ids, 0x5E55_1011));
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>The plaintext as is, followed by a 16-byte keyed hash of nonce, associated data and plaintext.</remarks>
    public void Seal(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        plaintext.CopyTo(ciphertext);
        WriteTag(KeyValue(key), nonce, associatedData, plaintext, ciphertext.Slice(plaintext.Length, SessionKey.TagSize));
    }

    /// <inheritdoc/>
    public bool TryOpen(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (ciphertext.Length < SessionKey.TagSize)
        {
            return false;
        }

        var body = ciphertext[..^SessionKey.TagSize];
        Span<byte> tag = stackalloc byte[SessionKey.TagSize];
        WriteTag(KeyValue(key), nonce, associatedData, body, tag);
        if (!tag.SequenceEqual(ciphertext[^SessionKey.TagSize..]))
        {
            return false;
        }

        body.CopyTo(plaintext);
        return true;
    }

    public void SignAsNode(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        Span<byte> pk = stackalloc byte[32];
        LocalId.WriteTo(pk);
        Sign(pk, message, signature);
    }

    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[64];
        Sign(publicKey, message, expected);
        return expected.SequenceEqual(signature);
    }

    public void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(full, XxHash3.HashToUInt64(data, (long)XxHash3.HashToUInt64(key)));
        BinaryPrimitives.WriteUInt64LittleEndian(full[8..], XxHash3.HashToUInt64(data, 17));
        full[..Math.Min(16, mac.Length)].CopyTo(mac);
    }

    public void DeriveLocalSecret(ReadOnlySpan<byte> context, Span<byte> output)
    {
        Span<byte> id = stackalloc byte[32];
        LocalId.WriteTo(id);
        Span<byte> full = stackalloc byte[32];
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(full[(i * 8)..], XxHash3.HashToUInt64(context, (long)XxHash3.HashToUInt64(id, i)));
        }

        full[..output.Length].CopyTo(output);
    }

    /// <summary>The modeled signature of <paramref name="message"/> by the holder of <paramref name="publicKey"/>: a keyed hash, 64 bytes.</summary>
    public static void Sign(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, Span<byte> signature)
    {
        var seed = (long)XxHash3.HashToUInt64(publicKey, 0x516E);
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(signature[(i * 8)..], XxHash3.HashToUInt64(message, seed + i));
        }
    }

    /// <summary>The modeled key: a 64-bit hash of the two ids, in the first 8 bytes of the key (the rest stay zero).</summary>
    private static ulong KeyValue(in SessionKey key) => BinaryPrimitives.ReadUInt64LittleEndian(key);

    // The concatenation buffer (up to 1.4 KB per datagram, twice per delivery) is written in full before it is read.
    [SkipLocalsInit]
    private static void WriteTag(ulong key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> body, Span<byte> tag)
    {
        Span<byte> all = stackalloc byte[nonce.Length + aad.Length + body.Length];
        nonce.CopyTo(all);
        aad.CopyTo(all[nonce.Length..]);
        body.CopyTo(all[(nonce.Length + aad.Length)..]);
        var value = XxHash3.HashToUInt64(all, (long)key);
        BinaryPrimitives.WriteUInt64LittleEndian(tag, value);
        BinaryPrimitives.WriteUInt64LittleEndian(tag[8..], value ^ key);
    }
}
