using Dht.Security;

namespace Dht.Tests.Support;

/// <summary>A crypto suite that does what <see cref="Inner"/> does and counts the signature checks it is asked for.</summary>
internal sealed class CountingVerifySuite(ICryptoSuite inner) : ICryptoSuite
{
    public ICryptoSuite Inner { get; } = inner;

    /// <summary>Calls of <see cref="Verify"/> so far.</summary>
    public int Verifications { get; private set; }

    public NodeId LocalId => Inner.LocalId;

    public bool TryDeriveSessionKey(NodeId remote, out SessionKey key) => Inner.TryDeriveSessionKey(remote, out key);

    public void Seal(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext) =>
        Inner.Seal(key, nonce, associatedData, plaintext, ciphertext);

    public bool TryOpen(in SessionKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext) =>
        Inner.TryOpen(key, nonce, associatedData, ciphertext, plaintext);

    public void SignAsNode(ReadOnlySpan<byte> message, Span<byte> signature) => Inner.SignAsNode(message, signature);

    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        Verifications++;
        return Inner.Verify(publicKey, message, signature);
    }

    public void DeriveLocalSecret(ReadOnlySpan<byte> context, Span<byte> output) => Inner.DeriveLocalSecret(context, output);

    public void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac) => Inner.Mac(key, data, mac);
}
