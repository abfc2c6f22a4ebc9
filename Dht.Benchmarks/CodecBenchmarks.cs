using BenchmarkDotNet.Attributes;
using Dht.Protocol;
using Dht.Wire;

namespace Dht.Benchmarks;

/// <summary>
/// Encoding and decoding the message most datagrams carry: a NODES answer with k = 20 IPv4 contacts (about 800 bytes),
/// as the engine does for every FIND_NODE answered and every answer a lookup receives, into a reused message and
/// contact slice as the engine's thread-shared scratch.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] _buffer = new byte[WireConstants.MaxMessageSize];
    private readonly Message _decoded = new();
    private readonly ContactSlice _scratch = new();
    private Message _nodes = null!;
    private byte[] _encoded = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Xoshiro256(5);
        var contacts = new WireContact[20];
        for (var i = 0; i < contacts.Length; i++)
        {
            var n = (uint)rng.NextInt32(1 << 24);
            contacts[i] = new WireContact(rng.NextNodeId(), PeerAddress.FromIPv4([10, (byte)(n >> 16), (byte)(n >> 8), (byte)n], (ushort)(4000 + i)));
        }

        _nodes = new Message { Type = MessageType.Nodes, RequestId = rng.NextUInt64(), Token = 12345, HasToken = true, Total = 1, Contacts = contacts };
        _encoded = _buffer.AsSpan(0, MessageCodec.Encode(_nodes, _buffer)).ToArray();
    }

    [Benchmark(Description = "encode NODES (20 IPv4 contacts)")]
    public int EncodeNodes() => MessageCodec.GetEncodedLength(_nodes) + MessageCodec.Encode(_nodes, _buffer);

    [Benchmark(Description = "decode NODES (20 IPv4 contacts)")]
    public int DecodeNodes() => (int)MessageCodec.TryDecode(_encoded, _decoded, _scratch) + _decoded.Contacts.Count;
}
