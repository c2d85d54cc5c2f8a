using System.Net;
using System.Net.Sockets;
using System.Text;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>
/// HTTP, TCP and UDP from inside a test namespace: each socket is opened there (a socket keeps the namespace it
/// was made in), then used from this thread like any other.
/// </summary>
public sealed class NamespaceClient(NetworkNamespace ns) : IDisposable
{
    private const int AfInet = 2, SockStream = 1, SockDgram = 2;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = async (context, token) =>
        {
            var socket = Open(ns, SockStream);
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { Timeout = Bound };

    public static Socket Open(NetworkNamespace ns, int type)
    {
        int fd = ns.OpenSocket(AfInet, type, 0);
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    public HttpResponseMessage Get(string url) => _http.GetAsync(url).GetAwaiter().GetResult();

    public (HttpStatusCode Status, string Body) SendText(HttpRequestMessage request)
    {
        using var response = _http.SendAsync(request).GetAwaiter().GetResult();
        return (response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }

    public static string ReadBody(HttpResponseMessage response) => response.Content.ReadAsStringAsync().GetAwaiter().GetResult();

    /// <summary>GET and the status and body, for the common case.</summary>
    public (HttpStatusCode Status, string Body) GetText(string url)
    {
        using var response = Get(url);
        return (response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }

    public bool CanConnect(int port)
    {
        using var socket = Open(ns, SockStream);
        try
        {
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Everything a raw TCP server writes before it closes.</summary>
    public string ReadTcp(int port)
    {
        using var socket = Open(ns, SockStream);
        socket.ReceiveTimeout = (int)Bound.TotalMilliseconds;
        socket.Connect(IPAddress.Loopback, port);
        var received = new MemoryStream();
        var buffer = new byte[1024];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
            received.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <summary>Sends one datagram to 127.0.0.1:PORT and returns the answer, or null if none came within <paramref name="wait"/>.</summary>
    public string? Udp(int port, string text, TimeSpan? wait = null)
    {
        using var socket = Open(ns, SockDgram);
        socket.ReceiveTimeout = (int)(wait ?? Bound).TotalMilliseconds;
        socket.Connect(IPAddress.Loopback, port);
        socket.Send(Encoding.UTF8.GetBytes(text));
        var buffer = new byte[2048];
        try
        {
            int n = socket.Receive(buffer);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
