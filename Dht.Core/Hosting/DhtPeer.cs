using System.Globalization;
using System.Net;

namespace Dht;

/// <summary>
/// A node to bootstrap from: its UDP endpoint and, optionally, its id. With the id the first exchange is authenticated
/// to that key; without it the id is learned from an unauthenticated identity probe (trust on first use).
/// </summary>
public sealed class DhtPeer
{
    /// <summary>Creates a peer.</summary>
    /// <param name="endPoint">The node's UDP endpoint.</param>
    /// <param name="id">The node's id, if known.</param>
    public DhtPeer(IPEndPoint endPoint, NodeId? id = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint.Port == 0)
        {
            throw new ArgumentException("A peer endpoint needs a non-zero port.", nameof(endPoint));
        }

        if (id is { IsZero: true })
        {
            throw new ArgumentException("A node id cannot be all zero.", nameof(id));
        }

        EndPoint = endPoint;
        Id = id;
    }

    /// <summary>The node's UDP endpoint.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The node's id when known.</summary>
    public NodeId? Id { get; }

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c> or <c>id@address:port</c> (id as 64 hex digits). Host names are not resolved.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The peer.</returns>
    /// <exception cref="FormatException">The text is not in one of those forms.</exception>
    public static DhtPeer Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        NodeId? id = null;
        var address = text;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!NodeId.TryParse(text.AsSpan(0, at), out var parsed) || parsed.IsZero)
            {
                throw new FormatException($"'{text}': the part before '@' must be a node id of 64 hex digits.");
            }

            id = parsed;
            address = text[(at + 1)..];
        }

        if (!IPEndPoint.TryParse(address, out var endPoint) || endPoint.Port == 0 || !address.Contains(':', StringComparison.Ordinal))
        {
            throw new FormatException($"'{text}': expected address:port (for example 192.0.2.1:4000 or [2001:db8::1]:4000) with a port from 1 to 65535.");
        }

        return new DhtPeer(endPoint, id);
    }

    /// <summary>The peer as <c>id@endpoint</c> or <c>endpoint</c>.</summary>
    /// <returns>The text form, which <see cref="Parse"/> reads back.</returns>
    public override string ToString() =>
        Id is { } id ? string.Create(CultureInfo.InvariantCulture, $"{id}@{EndPoint}") : EndPoint.ToString();
}
