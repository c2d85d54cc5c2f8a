using System.Net.Sockets;
using System.Text;

namespace Kybernet.Agnhost;

/// <summary>
/// agnhost connect HOST:PORT [--timeout D] [--protocol tcp|udp|sctp] [--udp-data TEXT]: exits 0 when the connection
/// (for UDP: an answer to the datagram) comes, otherwise 1 with one line on stderr starting with upstream's fixed
/// word: UNKNOWN (bad arguments), TIMEOUT, DNS, REFUSED or OTHER. Tests match on those words.
/// </summary>
public static class ConnectCommand
{
    public static readonly string[] FlagNames = ["timeout", "protocol", "udp-data"];

    public static async Task<int> RunAsync(Flags flags)
    {
        if (flags.Positional.Count != 1)
        {
            Console.Error.WriteLine($"Error: accepts 1 arg(s), received {flags.Positional.Count}");
            return 1;
        }
        var destination = flags.Positional[0];
        var timeout = flags.Duration("timeout", TimeSpan.Zero);
        return flags.String("protocol", "tcp") switch
        {
            "" or "tcp" => await TcpAsync(destination, timeout),
            "udp" => await UdpAsync(destination, timeout, flags.String("udp-data", "hostname")),
            "sctp" => Fail("OTHER: sctp is not supported by this agnhost"),
            var other => Fail($"Unsupported protocol {other}"),
        };
    }

    private static int Fail(string line)
    {
        Console.Error.WriteLine(line);
        return 1;
    }

    private static async Task<int> TcpAsync(string destination, TimeSpan timeout)
    {
        if (HostPort.Split(destination, out var splitError) is not var (host, port))
            return Fail($"UNKNOWN: {splitError}");
        System.Net.IPEndPoint target;
        try
        {
            target = await HostPort.ResolveAsync("tcp", host, port);
        }
        catch (ResolveException e)
        {
            return Fail($"DNS: {e.Message}");
        }
        using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = timeout > TimeSpan.Zero ? new CancellationTokenSource(timeout) : new CancellationTokenSource();
        try
        {
            await socket.ConnectAsync(target, deadline.Token);
            return 0;
        }
        catch (OperationCanceledException)
        {
            return Fail("TIMEOUT");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return Fail("REFUSED");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return Fail("TIMEOUT");
        }
        catch (SocketException e)
        {
            return Fail($"OTHER: {GoErrors.Dial("tcp", destination, e)}");
        }
    }

    private static async Task<int> UdpAsync(string destination, TimeSpan timeout, string data)
    {
        if (HostPort.Split(destination, out var splitError) is not var (host, port))
            return Fail($"DNS: {splitError}");
        System.Net.IPEndPoint target;
        try
        {
            target = await HostPort.ResolveAsync("udp", host, port);
        }
        catch (ResolveException e)
        {
            return Fail($"DNS: {e.Message}");
        }
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(target);
        }
        catch (SocketException e)
        {
            return Fail($"OTHER: dial udp {destination}: {GoErrors.Describe(e.SocketErrorCode)}");
        }
        var route = $"{Endpoints.Format(socket.LocalEndPoint)}->{Endpoints.Format(target)}";
        using var deadline = timeout > TimeSpan.Zero ? new CancellationTokenSource(timeout) : new CancellationTokenSource();
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(data + "\n"), SocketFlags.None, deadline.Token);
            var buffer = new byte[1024];
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            if (n == 0)
                return Fail("OTHER: No data received from the server. Cannot guarantee the server received the request.");
            return 0;
        }
        catch (OperationCanceledException)
        {
            return Fail($"TIMEOUT: read udp {route}: i/o timeout");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return Fail($"REFUSED: read udp {route}: read: connection refused");
        }
        catch (SocketException e)
        {
            return Fail($"UNKNOWN: read udp {route}: read: {GoErrors.Describe(e.SocketErrorCode)}");
        }
    }
}
