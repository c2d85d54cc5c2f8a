using System.Net;
using System.Net.Sockets;
using System.Text;
using Kybernet.Agnhost.Http;

namespace Kybernet.Agnhost.Netexec;

/// <summary>
/// /dial's legs: an HTTP GET of /REQUEST, or a UDP datagram REQUEST and the one answer, each bounded by 5 s, each
/// failure worded as upstream's (which is how tests tell a timeout from a refusal).
/// </summary>
public static class Dialer
{
    private static readonly TimeSpan UdpTimeout = TimeSpan.FromSeconds(5);

    public static Task<string> HttpAsync(IPEndPoint target, string request) => HttpGet.FetchAsync(target, request);

    public static async Task<string> UdpAsync(IPEndPoint target, string request)
    {
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(target);
        }
        catch (SocketException e)
        {
            throw new DialException($"udp dial failed. err:dial udp {Endpoints.Format(target)}: {GoErrors.Describe(e.SocketErrorCode)}");
        }
        var local = Endpoints.Format(socket.LocalEndPoint);
        var route = $"{local}->{Endpoints.Format(target)}";
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(request), SocketFlags.None);
        }
        catch (SocketException e)
        {
            throw new DialException($"udp connection write failed. err:write udp {route}: write: {GoErrors.Describe(e.SocketErrorCode)}");
        }
        var buffer = new byte[2048];
        using var timeout = new CancellationTokenSource(UdpTimeout);
        try
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (n == 0)
                throw new DialException("reading from udp connection failed. err:'<nil>'");
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (SocketException e)
        {
            throw new DialException($"reading from udp connection failed. err:'read udp {route}: read: {GoErrors.Describe(e.SocketErrorCode)}'");
        }
        catch (OperationCanceledException)
        {
            throw new DialException($"reading from udp connection failed. err:'read udp {route}: i/o timeout'");
        }
    }
}
