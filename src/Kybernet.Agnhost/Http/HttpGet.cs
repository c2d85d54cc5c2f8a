using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kybernet.Agnhost.Http;

/// <summary>
/// The GET /dial makes: one request on a fresh connection, the whole exchange bounded (5 s, as upstream's client),
/// the body returned whatever the status. Bodies by Content-Length, chunked, or up to the close. Redirects are not
/// followed (Go's client would follow them).
/// </summary>
public static class HttpGet
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>The body of http://ADDRESS/PATH; an HttpGetException carries Go's wording of what failed.</summary>
    public static async Task<string> FetchAsync(IPEndPoint address, string path)
    {
        var hostPort = Endpoints.Format(address.Address, address.Port);
        var url = $"http://{hostPort}/{path}";
        using var timeout = new CancellationTokenSource(Timeout);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(address, timeout.Token);
        }
        catch (SocketException e)
        {
            throw new HttpGetException($"Get \"{url}\": {GoErrors.Dial("tcp", hostPort, e)}");
        }
        catch (OperationCanceledException)
        {
            throw new HttpGetException($"Get \"{url}\": dial tcp {hostPort}: i/o timeout (Client.Timeout exceeded while awaiting headers)");
        }

        var request = $"GET /{path.Replace(" ", "%20")} HTTP/1.1\r\nHost: {hostPort}\r\nUser-Agent: Go-http-client/1.1\r\nConnection: close\r\n\r\n";
        var received = new MemoryStream();
        try
        {
            var bytes = Encoding.UTF8.GetBytes(request);
            int sent = 0;
            while (sent < bytes.Length)
                sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, timeout.Token);
            var buffer = new byte[8192];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
                received.Write(buffer, 0, n);
        }
        catch (SocketException e)
        {
            throw new HttpGetException($"Get \"{url}\": read tcp {Endpoints.Format(socket.LocalEndPoint)}->{hostPort}: read: {GoErrors.Describe(e.SocketErrorCode)}");
        }
        catch (OperationCanceledException)
        {
            throw new HttpGetException($"Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        }
        return BodyOf(received.ToArray(), url);
    }

    private static string BodyOf(byte[] response, string url)
    {
        var span = response.AsSpan();
        int end = span.IndexOf("\r\n\r\n"u8);
        if (end < 0 || !span.StartsWith("HTTP/1."u8))
            throw new HttpGetException($"Get \"{url}\": malformed HTTP response");
        var head = Encoding.Latin1.GetString(span[..end]);
        var body = span[(end + 4)..];
        bool chunked = false;
        int? length = null;
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                chunked = true;
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && int.TryParse(value, out int n))
                length = n;
        }
        if (chunked)
            return Encoding.UTF8.GetString(Dechunk(body));
        if (length is int l && l < body.Length)
            body = body[..l];
        return Encoding.UTF8.GetString(body);
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> data)
    {
        var output = new MemoryStream();
        while (true)
        {
            int lineEnd = data.IndexOf("\r\n"u8);
            if (lineEnd < 0)
                break;
            var sizeText = Encoding.ASCII.GetString(data[..lineEnd]).Split(';')[0].Trim();
            if (!int.TryParse(sizeText, System.Globalization.NumberStyles.HexNumber, null, out int size) || size == 0)
                break;
            data = data[(lineEnd + 2)..];
            size = Math.Min(size, data.Length);
            output.Write(data[..size]);
            data = data[size..];
            if (data.StartsWith("\r\n"u8))
                data = data[2..];
        }
        return output.ToArray();
    }
}
