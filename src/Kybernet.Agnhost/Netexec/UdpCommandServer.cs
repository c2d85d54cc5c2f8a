using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kybernet.Agnhost.Netexec;

/// <summary>
/// netexec's UDP server: one datagram in, one out. "hostname" answers the hostname, "echo X" answers X, "clientip"
/// the sender's ip:port; anything else is logged and not answered. The text is trimmed and lower-cased first, as
/// upstream does (so "echo Hi" answers "hi").
/// </summary>
public static class UdpCommandServer
{
    public static Socket Bind(string address, int port)
    {
        if (address.Length == 0)
            return Endpoints.BindAny(SocketType.Dgram, ProtocolType.Udp, port);
        var ip = IPAddress.Parse(address);
        var socket = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(ip, port));
        return socket;
    }

    /// <summary>Answers datagrams until the socket fails; a failure is fatal for the process, as upstream's.</summary>
    public static async Task RunAsync(Socket socket, NetexecState state)
    {
        var buffer = new byte[2048];
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        Log.Line($"Started UDP server on {Endpoints.Format(socket.LocalEndPoint)}");
        state.UdpReady = true;
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any);
                var client = received.RemoteEndPoint;
                var clientText = Endpoints.Format(client);
                var text = Encoding.UTF8.GetString(buffer, 0, received.ReceivedBytes).Trim().ToLowerInvariant();
                string? answer = Answer(text, clientText);
                if (answer is null)
                {
                    if (text.Length > 0)
                        Log.Line($"Unknown UDP command received from {clientText}: {text}");
                    continue;
                }
                Log.Line($"UDP {text} from {clientText}");
                await socket.SendToAsync(Encoding.UTF8.GetBytes(answer), SocketFlags.None, client);
            }
        }
        catch (SocketException e)
        {
            state.UdpReady = false;
            Log.Fatal($"UDP server on {Endpoints.Format(socket.LocalEndPoint)} failed: {e.Message}");
        }
    }

    /// <summary>The answer to one command, or null for one that is not known.</summary>
    public static string? Answer(string command, string client) => command switch
    {
        "hostname" => HostName.Get(),
        "clientip" => client,
        _ when command.StartsWith("echo ", StringComparison.Ordinal) => command[5..],
        _ => null,
    };
}
