using System.Net.Sockets;
using System.Text;

namespace Kybernet.Agnhost.Http;

/// <summary>
/// A minimal HTTP/1.1 server on a raw socket: one request per connection (the answer says Connection: close), the
/// request line, headers and query parsed, a body skipped. Each connection runs on its own task, so a slow /dial or
/// /shell holds up nobody else.
/// </summary>
public sealed class HttpServer
{
    private const int MaxHeaderBytes = 64 * 1024;
    private const int MaxSkippedBody = 1024 * 1024;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Socket _listener;
    private readonly Func<HttpRequest, Task<HttpResponse>> _handler;

    private HttpServer(Socket listener, Func<HttpRequest, Task<HttpResponse>> handler)
    {
        _listener = listener;
        _handler = handler;
    }

    /// <summary>Listens on every address at <paramref name="port"/> (throws if it cannot); serve with <see cref="RunAsync"/>.</summary>
    public static HttpServer Listen(int port, Func<HttpRequest, Task<HttpResponse>> handler)
    {
        var listener = Endpoints.BindAny(SocketType.Stream, ProtocolType.Tcp, port);
        listener.Listen(512);
        return new HttpServer(listener, handler);
    }

    /// <summary>Accepts connections until the process ends; a failing accept is logged and fatal, as upstream's.</summary>
    public async Task RunAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync();
            }
            catch (SocketException e)
            {
                Log.Fatal($"accept on {Endpoints.Format(_listener.LocalEndPoint)} failed: {e.Message}");
                return;
            }
            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        var remote = "(gone)";
        try
        {
            remote = Endpoints.Format(connection.RemoteEndPoint); // throws if the client has reset already
            using var timeout = new CancellationTokenSource(ReadTimeout);
            var (request, error) = await ReadRequestAsync(connection, remote, timeout.Token);
            if (request is null)
            {
                if (error is not null)
                {
                    Log.Line($"http: bad request from {remote}: {error}");
                    await SendAsync(connection, HttpResponse.Error(400, "400 Bad Request").Serialize(includeBody: true));
                }
                return;
            }
            HttpResponse response;
            try
            {
                response = await _handler(request);
            }
            catch (Exception e)
            {
                // Go's server drops the connection when a handler panics; we answer 500 with the reason instead.
                Log.Line($"http: handler for {request.Method} {request.Target} from {remote} failed: {e}");
                response = HttpResponse.Error(500, $"Internal Server Error: {e.Message}");
            }
            await SendAsync(connection, response.Serialize(includeBody: request.Method != "HEAD"));
            await CloseGracefullyAsync(connection);
            response.AfterSent?.Invoke();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            Log.Line($"http: connection from {remote}: {e.Message}");
        }
        finally
        {
            connection.Dispose();
        }
    }

    private static async Task SendAsync(Socket connection, byte[] bytes)
    {
        int sent = 0;
        while (sent < bytes.Length)
            sent += await connection.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
    }

    /// <summary>
    /// Half-closes and waits (bounded) for the client's end: closing with unread bytes would send a reset, which
    /// can destroy the answer before the client read it.
    /// </summary>
    private static async Task CloseGracefullyAsync(Socket connection)
    {
        try
        {
            connection.Shutdown(SocketShutdown.Send);
            using var drain = new CancellationTokenSource(DrainTimeout);
            var sink = new byte[4096];
            while (await connection.ReceiveAsync(sink, SocketFlags.None, drain.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // The client went first, or kept its end open past the bound: either way the answer is out.
        }
    }

    /// <summary>Reads up to the blank line and parses; (null, null) when the client closed without sending anything.</summary>
    private static async Task<(HttpRequest? Request, string? Error)> ReadRequestAsync(Socket connection, string remote, CancellationToken token)
    {
        var buffer = new byte[4096];
        int filled = 0;
        int headerEnd;
        while ((headerEnd = FindHeaderEnd(buffer.AsSpan(0, filled))) < 0)
        {
            if (filled == buffer.Length)
            {
                if (buffer.Length >= MaxHeaderBytes)
                    return (null, $"headers longer than {MaxHeaderBytes} bytes");
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            int n = await connection.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, token);
            if (n == 0)
                return (null, filled == 0 ? null : "connection closed inside the headers");
            filled += n;
        }
        var head = Encoding.Latin1.GetString(buffer, 0, headerEnd);
        var request = Parse(head, remote, out var error);
        if (request is null)
            return (null, error);

        // A body is not read by any endpoint, but is consumed so that closing does not reset the connection.
        if (long.TryParse(request.Header("Content-Length"), out long length) && length > 0)
        {
            long remaining = Math.Min(length, MaxSkippedBody) - (filled - headerEnd);
            while (remaining > 0)
            {
                int n = await connection.ReceiveAsync(buffer, SocketFlags.None, token);
                if (n == 0)
                    break;
                remaining -= n;
            }
        }
        return (request, null);
    }

    /// <summary>The offset just past the blank line ending the headers (CRLF CRLF, or bare LF LF), or -1.</summary>
    private static int FindHeaderEnd(ReadOnlySpan<byte> data)
    {
        int crlf = data.IndexOf("\r\n\r\n"u8);
        if (crlf >= 0)
            return crlf + 4;
        int lf = data.IndexOf("\n\n"u8);
        return lf >= 0 ? lf + 2 : -1;
    }

    public static HttpRequest? Parse(string head, string remote, out string? error)
    {
        error = null;
        var lines = head.Split('\n');
        var requestLine = lines[0].TrimEnd('\r').Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || requestLine[0].Length == 0)
        {
            error = $"malformed request line \"{lines[0].TrimEnd('\r')}\"";
            return null;
        }
        var method = requestLine[0];
        var target = requestLine[1];
        var pathAndQuery = target;
        // Absolute form (a proxy's "GET http://host/path"): only the path and query matter here.
        int scheme = pathAndQuery.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && !pathAndQuery.StartsWith('/'))
        {
            int slash = pathAndQuery.IndexOf('/', scheme + 3);
            pathAndQuery = slash < 0 ? "/" : pathAndQuery[slash..];
        }
        if (!pathAndQuery.StartsWith('/') && !(method == "OPTIONS" && pathAndQuery == "*"))
        {
            error = $"malformed request target \"{target}\"";
            return null;
        }
        int question = pathAndQuery.IndexOf('?');
        var path = UrlEncoding.Decode(question < 0 ? pathAndQuery : pathAndQuery[..question], plusIsSpace: false);
        var query = question < 0 ? [] : UrlEncoding.ParseQuery(pathAndQuery.AsSpan(question + 1));

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var raw in lines.Skip(1))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
                continue;
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                error = $"malformed header line \"{line}\"";
                return null;
            }
            headers.Add(new(CanonicalHeaderName(line[..colon].Trim()), line[(colon + 1)..].Trim()));
        }
        return new HttpRequest(method, target, path, query, headers, remote);
    }

    /// <summary>Go's CanonicalMIMEHeaderKey: the first letter and each one after a hyphen upper case, the rest lower.</summary>
    public static string CanonicalHeaderName(string name)
    {
        var chars = name.ToCharArray();
        bool upper = true;
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = upper ? char.ToUpperInvariant(chars[i]) : char.ToLowerInvariant(chars[i]);
            upper = chars[i] == '-';
        }
        return new string(chars);
    }
}
