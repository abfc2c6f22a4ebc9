namespace Dht.Wire;

/// <summary>The type byte of a message inside a sealed packet. Requests have the high bit clear, responses set.</summary>
internal enum MessageType : byte
{
    Ping = 0x01,
    FindNode = 0x02,
    FindValue = 0x03,
    Store = 0x04,
    Pong = 0x81,
    Nodes = 0x82,
    Value = 0x83,
    Stored = 0x84,
    Error = 0x85,
}
