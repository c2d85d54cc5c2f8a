using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Kybernet.Agnhost.Http;

namespace Kybernet.Agnhost;

/// <summary>
/// agnhost serve-hostname: answers the hostname on --port (9376) over HTTP (default), or raw over TCP (write and
/// close) and/or UDP (one datagram per datagram) with --http=false. On SIGTERM it logs and waits 60 s for the pod's
/// deletion, as upstream, so endpoints see it go away before it stops answering.
/// </summary>
public static class ServeHostnameCommand
{
    public static readonly string[] FlagNames = ["port"];
    public static readonly string[] BoolFlagNames = ["tcp", "udp", "http", "close"];

    public static async Task<int> RunAsync(Flags flags)
    {
        bool tcp = flags.Bool("tcp", false), udp = flags.Bool("udp", false), http = flags.Bool("http", true);
        int port = flags.Int("port", 9376);
        if (http && (tcp || udp))
            return Log.Fatal("Can't serve TCP/UDP mode and HTTP mode at the same time");
        var terminated = new TaskCompletionSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            terminated.TrySetResult();
        });
        var hostname = HostName.Get();
        var hostnameBytes = Encoding.UTF8.GetBytes(hostname);
        var servers = new List<Task>();
        try
        {
            if (tcp)
            {
                var listener = Endpoints.BindAny(SocketType.Stream, ProtocolType.Tcp, port);
                listener.Listen(512);
                servers.Add(ServeTcpAsync(listener, hostnameBytes));
            }
            if (udp)
                servers.Add(ServeUdpAsync(Endpoints.BindAny(SocketType.Dgram, ProtocolType.Udp, port), hostnameBytes));
            if (http)
            {
                var server = HttpServer.Listen(port, request =>
                {
                    Log.Line($"HTTP request from {request.RemoteAddress}");
                    return Task.FromResult(HttpResponse.Ok(hostname));
                });
                servers.Add(server.RunAsync());
            }
        }
        catch (SocketException e)
        {
            return Log.Fatal($"serve-hostname: listen on port {port}: {e.Message}");
        }
        Log.Line($"Serving on port {port}.");

        servers.Add(terminated.Task);
        await Task.WhenAny(servers);
        if (!terminated.Task.IsCompleted)
            return 1;
        Log.Line("Shutting down after receiving signal: terminated.");
        Log.Line("Awaiting pod deletion.");
        await Task.Delay(TimeSpan.FromSeconds(60));
        return 0;
    }

    private static async Task ServeTcpAsync(Socket listener, byte[] hostname)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync();
            }
            catch (SocketException e)
            {
                Log.Fatal($"Error from Accept(): {e.Message}");
                return;
            }
            using (connection)
            {
                Log.Line($"TCP request from {Endpoints.Format(connection.RemoteEndPoint)}");
                try
                {
                    await connection.SendAsync(hostname, SocketFlags.None);
                    connection.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException e)
                {
                    Log.Line($"TCP answer to {Endpoints.Format(connection.RemoteEndPoint)} failed: {e.Message}");
                }
            }
        }
    }

    private static async Task ServeUdpAsync(Socket socket, byte[] hostname)
    {
        var buffer = new byte[16];
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any);
            }
            catch (SocketException e)
            {
                Log.Fatal($"Error from ReadFrom(): {e.Message}");
                return;
            }
            Log.Line($"UDP request from {Endpoints.Format(received.RemoteEndPoint)}");
            try
            {
                await socket.SendToAsync(hostname, SocketFlags.None, received.RemoteEndPoint);
            }
            catch (SocketException e)
            {
                Log.Line($"UDP answer to {Endpoints.Format(received.RemoteEndPoint)} failed: {e.Message}");
            }
        }
    }
}
