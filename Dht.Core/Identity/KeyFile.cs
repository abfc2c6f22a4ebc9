using System.Security.Cryptography;

namespace Dht;

/// <summary>
/// The key file format: 8 bytes magic "DHTKEY" 0x01 0x00, the 32-byte Ed25519 seed, the 32-byte public key (72 bytes).
/// The public key lets a load detect corruption and files written for another purpose.
/// </summary>
internal static class KeyFile
{
    private const int FileSize = 8 + DhtIdentity.SeedSize + NodeId.Size;
    private static ReadOnlySpan<byte> Magic => "DHTKEY\u0001\u0000"u8;

    public static DhtIdentity Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Key file '{path}' does not exist.", path);
        }

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            {
                throw new InvalidDataException(
                    $"Key file '{path}' is accessible by other users (mode {Convert.ToString((int)mode, 8)}); restrict it with 'chmod 600 {path}'.");
            }
        }

        var length = new FileInfo(path).Length;
        if (length != FileSize)
        {
            throw new InvalidDataException($"Key file '{path}' is {length} bytes; a Dht key file is {FileSize} bytes. It is corrupt or not a Dht key file.");
        }

        var bytes = File.ReadAllBytes(path);
        try
        {
            if (!bytes.AsSpan(0, 8).SequenceEqual(Magic))
            {
                throw new InvalidDataException($"Key file '{path}' does not start with the Dht key file header; it is not a Dht key file.");
            }

            var identity = DhtIdentity.FromSeed(bytes.AsSpan(8, DhtIdentity.SeedSize));
            if (!identity.PublicKey.Span.SequenceEqual(bytes.AsSpan(8 + DhtIdentity.SeedSize, NodeId.Size)))
            {
                identity.Dispose();
                throw new InvalidDataException($"Key file '{path}' is corrupt: its private key does not match its public key.");
            }

            return identity;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public static void Save(string path, DhtIdentity identity)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = new byte[FileSize];
        try
        {
            Magic.CopyTo(bytes);
            identity.ExportSeed(bytes.AsSpan(8, DhtIdentity.SeedSize));
            identity.PublicKey.Span.CopyTo(bytes.AsSpan(8 + DhtIdentity.SeedSize));
            var full = Path.GetFullPath(path);
            var temp = full + ".tmp-" + Environment.ProcessId;
            File.Delete(temp);
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
