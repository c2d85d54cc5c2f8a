using System.Net.Sockets;

namespace Kybernet.Agnhost;

/// <summary>
/// Socket errors in the words Go's net package uses ("dial tcp 10.0.0.1:80: connect: connection refused"): tests
/// written against upstream agnhost look for those words in /dial's errors and connect's output.
/// </summary>
public static class GoErrors
{
    public static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset by peer",
        SocketError.HostUnreachable => "no route to host",
        SocketError.NetworkUnreachable => "network is unreachable",
        SocketError.TimedOut => "i/o timeout",
        SocketError.AddressNotAvailable => "cannot assign requested address",
        SocketError.AccessDenied => "permission denied",
        SocketError.HostNotFound or SocketError.NoData => "no such host",
        _ => error.ToString(),
    };

    public static string Dial(string network, string address, SocketException e) =>
        $"dial {network} {address}: connect: {Describe(e.SocketErrorCode)}";
}
