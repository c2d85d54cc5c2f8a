using System.Text;

namespace Kybernet.Agnhost.Http;

/// <summary>What a handler answers: status, extra headers, body; and what to do once it has reached the client.</summary>
public sealed class HttpResponse
{
    public HttpResponse(int status, string body, string contentType = "text/plain; charset=utf-8")
    {
        Status = status;
        Body = Encoding.UTF8.GetBytes(body);
        if (Body.Length > 0)
            Headers.Add(new("Content-Type", contentType));
    }

    public int Status { get; }
    public byte[] Body { get; }
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    /// <summary>Runs after the response was written and the connection closed (/exit and /shutdown end the process there).</summary>
    public Action? AfterSent { get; init; }

    public static HttpResponse Ok(string body) => new(200, body);

    /// <summary>Go's http.Error: the message and a newline, as plain text, with nosniff.</summary>
    public static HttpResponse Error(int status, string message)
    {
        var response = new HttpResponse(status, message + "\n");
        response.Headers.Add(new("X-Content-Type-Options", "nosniff"));
        return response;
    }

    /// <summary>The status line, headers (Connection: close: one request per connection) and body, ready to send.</summary>
    public byte[] Serialize(bool includeBody)
    {
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(Status).Append(' ').Append(ReasonPhrase(Status)).Append("\r\n");
        foreach (var (name, value) in Headers)
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        head.Append("Date: ").Append(DateTime.UtcNow.ToString("R")).Append("\r\n");
        head.Append("Content-Length: ").Append(Body.Length).Append("\r\n");
        head.Append("Connection: close\r\n\r\n");
        var headBytes = Encoding.ASCII.GetBytes(head.ToString());
        if (!includeBody || Body.Length == 0)
            return headBytes;
        var all = new byte[headBytes.Length + Body.Length];
        headBytes.CopyTo(all, 0);
        Body.CopyTo(all, headBytes.Length);
        return all;
    }

    public static string ReasonPhrase(int status) => status switch
    {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        417 => "Expectation Failed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => $"status code {status}",
    };
}
