using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Dht.Protocol;
using Dht.Wire;

namespace Dht.Transport;

/// <summary>
/// Dual-stack UDP: one socket bound to [::] with IPv4-mapped addresses (or an IPv4-only socket where IPv6 is missing).
/// Receiving runs on one dedicated thread with the span-based <c>ReceiveFrom(Span, SocketFlags, SocketAddress)</c> and a
/// reused <see cref="SocketAddress"/>, so it allocates nothing per packet. Sending reuses one SocketAddress too and is
/// called only from the node's loop thread.
/// </summary>
internal sealed class UdpTransport : IDatagramTransport
{
    private readonly Socket _socket;
    private readonly bool _dualStack;
    private readonly SocketAddress _sendAddress;
    private Thread? _receiveThread;
    private volatile bool _disposed;

    public UdpTransport(IPAddress bindAddress, int port)
    {
        ArgumentNullException.ThrowIfNull(bindAddress);
        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A UDP port is between 0 and 65535.");
        }

        if (bindAddress.Equals(IPAddress.IPv6Any) && !Socket.OSSupportsIPv6)
        {
            bindAddress = IPAddress.Any;
        }

        _socket = new Socket(bindAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bindAddress.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _socket.DualMode = true;
                _dualStack = true;
            }

            _socket.ReceiveBufferSize = 1 << 20;
            _socket.SendBufferSize = 1 << 20;
            IgnoreConnectionResets(_socket);
            _socket.Bind(new IPEndPoint(bindAddress, port));
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        _sendAddress = new SocketAddress(_socket.AddressFamily);
        var local = (IPEndPoint)_socket.LocalEndPoint!;
        LocalEndPoints = [local];
    }

    public IReadOnlyList<IPEndPoint> LocalEndPoints { get; }

    public long SendErrors { get; private set; }

    public long ReceiveErrors { get; private set; }

    public void Start(IDatagramSink sink)
    {
        _receiveThread = new Thread(() => ReceiveLoop(sink))
        {
            IsBackground = true,
            Name = $"dht-udp-recv:{LocalEndPoints[0].Port}",
        };
        _receiveThread.Start();
    }

    public void Send(PeerAddress to, ReadOnlySpan<byte> datagram)
    {
        if (_disposed)
        {
            return;
        }

        if (!_dualStack && !to.IsIPv4)
        {
            SendErrors++;
            return;
        }

        var buffer = _sendAddress.Buffer.Span;
        if (_dualStack)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], to.Port);
            buffer.Slice(4, 4).Clear();
            to.WriteAddress16(buffer[8..]);
            buffer.Slice(24, 4).Clear();
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], to.Port);
            to.WriteAddress4(buffer[4..]);
        }

        try
        {
            _socket.SendTo(datagram, SocketFlags.None, _sendAddress);
        }
        catch (SocketException)
        {
            SendErrors++;
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void ReceiveLoop(IDatagramSink sink)
    {
        // One buffer larger than any valid datagram: oversized ones arrive truncated at 1281+ bytes and are dropped as TooLarge.
        var buffer = new byte[WireConstants.MaxDatagramSize + 1];
        var from = new SocketAddress(_socket.AddressFamily);
        var addressSize = from.Size;
        while (!_disposed)
        {
            int length;
            try
            {
                // ReceiveFrom shrinks Size to the address it got and refuses a SocketAddress smaller than the family's maximum.
                from.Size = addressSize;
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
            {
                length = buffer.Length;
            }
            catch (SocketException)
            {
                if (_disposed)
                {
                    return;
                }

                ReceiveErrors++;
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            // Shutdown in Dispose wakes the blocked receive with 0 bytes and no sender: that is not a datagram.
            if (_disposed)
            {
                return;
            }

            var address = ToPeerAddress(from);
            sink.OnDatagram(address, buffer.AsSpan(0, length));
        }
    }

    private static PeerAddress ToPeerAddress(SocketAddress address)
    {
        var span = address.Buffer.Span;
        var port = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        return address.Family == AddressFamily.InterNetworkV6
            ? PeerAddress.FromIPv6(span.Slice(8, 16), port)
            : PeerAddress.FromIPv4(span.Slice(4, 4), port);
    }

    private static void IgnoreConnectionResets(Socket socket)
    {
        if (OperatingSystem.IsWindows())
        {
            const int SioUdpConnReset = -1744830452;
            socket.IOControl(SioUdpConnReset, [0, 0, 0, 0], null);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }

        _socket.Dispose();
        if (_receiveThread is { } thread && thread != Thread.CurrentThread)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }
}
