using Dht.Protocol;

namespace Dht.Wire;

/// <summary>A contact as carried in a NODES response: id and UDP endpoint.</summary>
internal readonly record struct WireContact(NodeId Id, PeerAddress Address);
