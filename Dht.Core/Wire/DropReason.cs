namespace Dht.Wire;

/// <summary>Why an incoming datagram was dropped. Each reason has its own counter in the engine's statistics.</summary>
internal enum DropReason
{
    None = 0,
    Empty,
    TooShort,
    TooLarge,
    UnknownVersion,
    UnknownPacketType,
    ZeroSenderId,
    SelfSenderId,
    InvalidSenderKey,
    DecryptFailed,
    Replay,
    Truncated,
    UnknownMessageType,
    InvalidField,
    TrailingGarbage,
    UnexpectedResponse,
    ResponseFromWrongAddress,
    RateLimited,
    ProbeTooSmall,
}
