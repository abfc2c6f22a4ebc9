using BenchmarkDotNet.Attributes;
using Dht.Records;
using Dht.Security;
using Dht.Wire;

namespace Dht.Benchmarks;

/// <summary>
/// What a node does with the record of a STORE before its storage policy runs: decode it from the datagram and
/// validate it, with real crypto (NSec). The baseline is a signed record the node does not hold yet (the full
/// Ed25519 check); against it, a byte-identical re-store of the signed record the node holds (a publisher's republish,
/// another replica's replication), which takes the held copy's check, and an immutable record of the same size.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private const int ValueSize = 200;
    private DhtIdentity _signer = null!;
    private DhtIdentity _node = null!;
    private NSecCryptoSuite _crypto = null!;
    private DhtRecord _held = null!;
    private byte[] _signedWire = [];
    private byte[] _immutableWire = [];

    [GlobalSetup]
    public void Setup()
    {
        _signer = DhtIdentity.FromSeed(Enumerable.Repeat((byte)3, 32).ToArray());
        _node = DhtIdentity.FromSeed(Enumerable.Repeat((byte)4, 32).ToArray());
        _crypto = new NSecCryptoSuite(_node);
        var value = Enumerable.Range(0, ValueSize).Select(i => (byte)i).ToArray();
        _held = DhtRecord.CreateSigned(_signer, value, 7, "salt"u8.ToArray());
        if (RecordValidator.Validate(_held, _held.Key, RecordValidator.DefaultMaxValueSize, _crypto) != RecordRejection.None)
        {
            throw new InvalidOperationException("the benchmark's signed record does not validate");
        }

        _signedWire = Encode(_held);
        _immutableWire = Encode(DhtRecord.CreateImmutable(value));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _crypto.Dispose();
        _node.Dispose();
        _signer.Dispose();
    }

    [Benchmark(Baseline = true, Description = "signed STORE, new to the node: decode + Ed25519 check")]
    public RecordRejection SignedNew() => RecordValidator.Validate(Decode(_signedWire), _held.Key, RecordValidator.DefaultMaxValueSize, _crypto);

    [Benchmark(Description = "signed STORE, identical to the held copy: decode + compare")]
    public RecordRejection SignedReStore()
    {
        var record = Decode(_signedWire);
        record.TakeVerificationFrom(_held);
        return RecordValidator.Validate(record, _held.Key, RecordValidator.DefaultMaxValueSize, _crypto);
    }

    [Benchmark(Description = "immutable STORE: decode (SHA-256) + checks")]
    public RecordRejection Immutable()
    {
        var record = Decode(_immutableWire);
        return RecordValidator.Validate(record, record.Key, RecordValidator.DefaultMaxValueSize, _crypto);
    }

    private static byte[] Encode(DhtRecord record)
    {
        var buffer = new byte[RecordCodec.GetEncodedLength(record)];
        var writer = new WireWriter(buffer);
        RecordCodec.Write(ref writer, record);
        return buffer;
    }

    private static DhtRecord Decode(byte[] wire)
    {
        var reader = new WireReader(wire);
        if (RecordCodec.TryRead(ref reader, out var record) != DropReason.None)
        {
            throw new InvalidOperationException("the benchmark's record does not decode");
        }

        return record!;
    }
}
