using System.Security.Cryptography;
using NSec.Cryptography;

namespace Dht;

/// <summary>
/// An Ed25519 key pair: a node's identity (its <see cref="Id"/> is the public key) or the key that signs mutable records.
/// </summary>
/// <remarks>
/// The node id is the 32-byte Ed25519 public key itself, so every contact carries the key needed to authenticate
/// to it. Key files hold the 32-byte seed and are created readable by the owner only.
/// Instances are thread-safe; dispose to wipe the private key from memory.
/// </remarks>
public sealed class DhtIdentity : IDisposable
{
    /// <summary>The size of a seed (the private key) in bytes.</summary>
    public const int SeedSize = 32;

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key _key;
    private readonly byte[] _publicKey;

    private DhtIdentity(Key key)
    {
        _key = key;
        _publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        Id = new NodeId(_publicKey);
    }

    /// <summary>The node id: the Ed25519 public key as a 256-bit id.</summary>
    public NodeId Id { get; }

    /// <summary>The 32-byte Ed25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    internal Key Key => _key;

    /// <summary>Creates a new identity from the operating system's random number generator.</summary>
    /// <returns>A new identity.</returns>
    public static DhtIdentity Generate()
    {
        Span<byte> seed = stackalloc byte[SeedSize];
        RandomNumberGenerator.Fill(seed);
        try
        {
            return FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Creates the identity whose private key is <paramref name="seed"/> (RFC 8032 secret key).</summary>
    /// <param name="seed">Exactly 32 bytes.</param>
    /// <returns>The identity.</returns>
    /// <exception cref="ArgumentException"><paramref name="seed"/> is not 32 bytes.</exception>
    public static DhtIdentity FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"An Ed25519 seed is {SeedSize} bytes; got {seed.Length}.", nameof(seed));
        }

        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        return new DhtIdentity(Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey, in parameters));
    }

    /// <summary>Loads an identity from a key file written by <see cref="Save"/>.</summary>
    /// <param name="path">The key file.</param>
    /// <returns>The identity.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a Dht key file, is corrupt, or is readable by other users.</exception>
    public static DhtIdentity Load(string path) => KeyFile.Load(path);

    /// <summary>Loads the identity in <paramref name="path"/>, or creates, saves and returns a new one if the file does not exist.</summary>
    /// <param name="path">The key file.</param>
    /// <returns>The identity.</returns>
    public static DhtIdentity LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            return Load(path);
        }

        var identity = Generate();
        identity.Save(path);
        return identity;
    }

    /// <summary>Writes the identity to a key file readable and writable by the owner only (mode 0600 on Unix).</summary>
    /// <param name="path">The file to create; an existing file is replaced atomically.</param>
    public void Save(string path) => KeyFile.Save(path, this);

    /// <summary>Signs <paramref name="message"/> with Ed25519.</summary>
    /// <param name="message">The bytes to sign.</param>
    /// <returns>The 64-byte signature.</returns>
    public byte[] Sign(ReadOnlySpan<byte> message) => Ed25519.Sign(_key, message);

    internal void Sign(ReadOnlySpan<byte> message, Span<byte> signature) => Ed25519.Sign(_key, message, signature);

    internal void ExportSeed(Span<byte> seed) =>
        _key.TryExport(KeyBlobFormat.RawPrivateKey, seed, out _);

    /// <summary>Wipes the private key.</summary>
    public void Dispose() => _key.Dispose();

    /// <summary>The node id in hex.</summary>
    /// <returns>The id.</returns>
    public override string ToString() => Id.ToString();
}
