using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kybernet.Streams.Http;

/// <summary>
/// Passes one HTTP request on to another server and its answer back (the API server's pods/, services/ and
/// nodes/proxy, the kubelet's pod proxy): method, path and query, headers and body out; status, headers and body
/// back, streamed both ways. Hop-by-hop headers stay behind, and so does the caller's Authorization: the
/// credentials were for us, not for the pod.
/// </summary>
public static class HttpForwarder
{
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
        "Host", "Authorization", "Content-Length",
    };

    /// <param name="client">Without redirects, cookies or decompression, and without an overall timeout (a stream runs as long as it runs).</param>
    public static async Task ForwardAsync(HttpContext context, HttpClient client, Uri target, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target) { Version = new Version(1, 1) };
        var hasBody = context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0;
        if (hasBody)
            request.Content = new StreamContent(context.Request.Body) { Headers = { ContentLength = context.Request.ContentLength } };
        foreach (var (name, values) in context.Request.Headers)
        {
            if (NotForwarded.Contains(name))
                continue;
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && request.Content is not null)
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        using var answer = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
            if (!NotForwarded.Contains(name) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                context.Response.Headers[name] = values.ToArray();
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await using var body = await answer.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(context.Response.Body, cancellationToken);
    }

    /// <summary>The part of the request's path after <paramref name="marker"/> (e.g. "/proxy"), with the query: what goes to the target.</summary>
    public static string Rest(HttpContext context, string marker)
    {
        var path = context.Request.Path.Value ?? "";
        var at = path.IndexOf(marker, StringComparison.Ordinal);
        var rest = at < 0 ? "/" : path[(at + marker.Length)..];
        return (rest.Length == 0 ? "/" : rest) + context.Request.QueryString;
    }
}
