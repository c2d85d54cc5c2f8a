using System.Net;
using System.Net.Sockets;

namespace Kybernet.Agnhost;

/// <summary>Addresses written as Go writes them ("10.0.0.1:80", "[fd00::1]:80"), IPv4 clients of a dual-stack socket unmapped.</summary>
public static class Endpoints
{
    public static string Format(EndPoint? endpoint) => endpoint is IPEndPoint ip ? Format(ip.Address, ip.Port) : endpoint?.ToString() ?? "";

    public static string Format(IPAddress address, int port)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
    }

    /// <summary>
    /// A socket bound to every address on <paramref name="port"/>, as Go's ":PORT": IPv6 with IPv4 mapped in, or
    /// IPv4 only where the kernel has no IPv6 (a pod may have it disabled).
    /// </summary>
    public static Socket BindAny(SocketType type, ProtocolType protocol, int port)
    {
        Socket? socket = null;
        try
        {
            socket = new Socket(AddressFamily.InterNetworkV6, type, protocol) { DualMode = true };
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable or SocketError.ProtocolNotSupported)
        {
            socket?.Dispose();
            var v4 = new Socket(AddressFamily.InterNetwork, type, protocol);
            v4.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            v4.Bind(new IPEndPoint(IPAddress.Any, port));
            return v4;
        }
    }
}
