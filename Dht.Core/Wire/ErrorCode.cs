namespace Dht.Wire;

/// <summary>The code of an ERROR response.</summary>
internal enum ErrorCode : byte
{
    /// <summary>The request came from an address not yet validated and its answer would exceed 3x its size: retry with the token carried in this response.</summary>
    AddressUnvalidated = 1,

    /// <summary>STORE without a valid write token for this address.</summary>
    InvalidToken = 2,
}
