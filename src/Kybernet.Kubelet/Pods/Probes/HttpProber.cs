using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// The httpGet probe as upstream runs it: GET with User-Agent kube-probe/1.32 and Accept */* unless the probe sets
/// them, no keep-alive, HTTPS without certificate checks, redirects followed only to the same host (at most 10),
/// the body read up to 10 KiB, success for 200-399 (a redirect it stopped at is a warning, counted as success).
/// </summary>
public sealed class HttpProber : IDisposable
{
    public const string UserAgent = "kube-probe/1.32";
    public const int MaxBodyBytes = 10 * 1024;
    public const int MaxRedirects = 10;

    private readonly HttpClient _client;

    public HttpProber(ProbeSocketFactory? sockets = null)
    {
        var factory = sockets ?? ProbeSockets.Default;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // followed by hand: only to the same host, as upstream's probe client does
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = async (context, token) =>
            {
                var socket = await ProbeDialer.ConnectAsync(factory, context.DnsEndPoint.Host, context.DnsEndPoint.Port, token).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        // Probes check liveness, not identity: upstream skips certificate verification too.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The URL as Go prints it in errors: scheme://host:port/path.</summary>
    public static string FormatUrl(string scheme, string host, int port, string? path)
    {
        var p = string.IsNullOrEmpty(path) ? "" : path.StartsWith('/') ? path : "/" + path;
        return $"{scheme.ToLowerInvariant()}://{ProbeDialer.JoinHostPort(host, port)}{p}";
    }

    public async Task<ProbeCheck> ProbeAsync(string url, IReadOnlyList<KeyValuePair<string, string>> headers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Uri current;
        try
        {
            current = new Uri(url, UriKind.Absolute);
        }
        catch (UriFormatException e)
        {
            return ProbeCheck.Error($"parse \"{url}\": {e.Message}");
        }
        var shown = url;
        var firstHost = current.Host;
        for (var hops = 0; ; hops++)
        {
            HttpResponseMessage response;
            try
            {
                using var request = BuildRequest(current, headers);
                response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return ProbeCheck.Failure($"Get \"{shown}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
            }
            catch (HttpRequestException e)
            {
                return ProbeCheck.Failure($"Get \"{shown}\": {DescribeSendFailure(e)}");
            }
            using (response)
            {
                var code = (int)response.StatusCode;
                if (IsRedirect(code) && response.Headers.Location is { } location)
                {
                    var next = new Uri(current, location);
                    // A redirect to another host is not followed: the 3xx itself is the answer (a warning).
                    if (string.Equals(next.Host, firstHost, StringComparison.OrdinalIgnoreCase))
                    {
                        var nextShown = Show(next);
                        if (hops + 1 >= MaxRedirects)
                            return ProbeCheck.Failure($"Get \"{nextShown}\": stopped after {MaxRedirects} redirects");
                        current = next;
                        shown = nextShown;
                        continue;
                    }
                }
                string body;
                try
                {
                    body = await ReadBodyAsync(response, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return ProbeCheck.Failure("context deadline exceeded (Client.Timeout or context cancellation while reading body)");
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    return ProbeCheck.Failure(e.Message);
                }
                if (code is >= 200 and < 400)
                {
                    return code >= 300
                        ? new ProbeCheck(ProbeCheckStatus.Warning, $"Probe terminated redirects, Response body: {body}")
                        : ProbeCheck.Success(body);
                }
                return ProbeCheck.Failure($"HTTP probe failed with statuscode: {code}");
            }
        }
    }

    public void Dispose() => _client.Dispose();

    private static bool IsRedirect(int code) => code is 301 or 302 or 303 or 307 or 308;

    private static string Show(Uri uri) =>
        uri.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.StrongPort | UriComponents.PathAndQuery | UriComponents.KeepDelimiter, UriFormat.UriEscaped);

    private static HttpRequestMessage BuildRequest(Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        var hasUserAgent = false;
        var hasAccept = false;
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = value;
                continue;
            }
            if (name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase))
                hasUserAgent = true;
            if (name.Equals("Accept", StringComparison.OrdinalIgnoreCase))
            {
                hasAccept = true;
                // An explicitly empty Accept removes the header, as upstream does.
                if (value.Length == 0)
                    continue;
            }
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (!hasUserAgent)
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (!hasAccept)
            request.Headers.TryAddWithoutValidation("Accept", "*/*");
        request.Headers.ConnectionClose = true;
        return request;
    }

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxBodyBytes];
            var filled = 0;
            while (filled < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    break;
                filled += read;
            }
            return Encoding.UTF8.GetString(buffer, 0, filled);
        }
    }

    /// <summary>The innermost cause, preferring our dial error (worded as Go's) over .NET's wrapper text.</summary>
    private static string DescribeSendFailure(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is ProbeDialException dial)
                return dial.Message;
        }
        var innermost = e;
        while (innermost.InnerException is not null)
            innermost = innermost.InnerException;
        return innermost is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } ? "EOF" : innermost.Message;
    }
}
