namespace Kybernet.Agnhost.Http;

/// <summary>One parsed HTTP/1.x request: its line, its headers in arrival order, its query, and who sent it.</summary>
public sealed class HttpRequest(string method, string target, string path, IReadOnlyList<KeyValuePair<string, string>> query,
    IReadOnlyList<KeyValuePair<string, string>> headers, string remoteAddress)
{
    public string Method { get; } = method;

    /// <summary>The request target as sent ("/echo?msg=hi").</summary>
    public string Target { get; } = target;

    /// <summary>The path, percent-decoded ("/echo").</summary>
    public string Path { get; } = path;

    public IReadOnlyList<KeyValuePair<string, string>> Query { get; } = query;

    /// <summary>Header names as canonicalised by Go ("X-Forwarded-For"), values as sent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; } = headers;

    /// <summary>"ip:port" of the client, as Go's Request.RemoteAddr.</summary>
    public string RemoteAddress { get; } = remoteAddress;

    /// <summary>The first value of a query parameter, or "" (Go's FormValue).</summary>
    public string Form(string name)
    {
        foreach (var (key, value) in Query)
            if (key == name)
                return value;
        return "";
    }

    /// <summary>The first value of a header, by name in any case, or "" (Go's Header.Get).</summary>
    public string Header(string name)
    {
        foreach (var (key, value) in Headers)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                return value;
        return "";
    }
}
