using BenchmarkDotNet.Attributes;
using Dht.Security;

namespace Dht.Benchmarks;

/// <summary>
/// The costs the authentication ADR quotes: deriving a session with a new peer, and sealing/opening one datagram.
/// Baseline: .NET's own ChaCha20Poly1305 (OpenSSL) over the same bytes, measured in the same run.
/// </summary>
[MemoryDiagnoser]
public class CryptoBenchmarks
{
    private readonly byte[] _nonce = new byte[SessionKey.NonceSize];
    private readonly byte[] _aad = new byte[46];
    private readonly byte[] _plaintext = new byte[1000];
    private readonly byte[] _ciphertext = new byte[1016];
    private readonly byte[] _opened = new byte[1000];
    private readonly byte[] _tag = new byte[16];
    private byte[] _signature = [];
    private DhtIdentity _a = null!;
    private DhtIdentity _b = null!;
    private NSecCryptoSuite _suite = null!;
    private SessionKey _key;
    private System.Security.Cryptography.ChaCha20Poly1305 _dotnet = null!;

    [GlobalSetup]
    public void Setup()
    {
        _a = DhtIdentity.FromSeed(Enumerable.Repeat((byte)1, 32).ToArray());
        _b = DhtIdentity.FromSeed(Enumerable.Repeat((byte)2, 32).ToArray());
        _suite = new NSecCryptoSuite(_a);
        if (!_suite.TryDeriveSessionKey(_b.Id, out _key))
        {
            throw new InvalidOperationException("the benchmark peer's id is not a usable key");
        }

        _suite.Seal(_key, _nonce, _aad, _plaintext, _ciphertext);
        _dotnet = new System.Security.Cryptography.ChaCha20Poly1305(new byte[32]);
        _signature = _a.Sign(_plaintext);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _suite.Dispose();
        _a.Dispose();
        _b.Dispose();
        _dotnet.Dispose();
    }

    [Benchmark(Description = "derive session (conversion + X25519 + HKDF)")]
    public bool DeriveSession() => _suite.TryDeriveSessionKey(_b.Id, out _);

    [Benchmark(Description = "seal 1000 B")]
    public void Seal() => _suite.Seal(_key, _nonce, _aad, _plaintext, _ciphertext);

    [Benchmark(Description = "open 1000 B")]
    public bool Open() => _suite.TryOpen(_key, _nonce, _aad, _ciphertext, _opened);

    [Benchmark(Baseline = true, Description = "baseline: .NET ChaCha20Poly1305 seal 1000 B")]
    public void DotnetSeal() => _dotnet.Encrypt(_nonce, _plaintext, _ciphertext.AsSpan(0, 1000), _tag, _aad);

    [Benchmark(Description = "Ed25519 verify (record signature)")]
    public bool Verify() => _suite.Verify(_a.PublicKey.Span, _plaintext, _signature);
}
