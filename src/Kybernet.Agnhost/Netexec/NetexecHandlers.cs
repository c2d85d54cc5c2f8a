using System.Diagnostics;
using System.Globalization;
using System.Net;
using Kybernet.Agnhost.Http;

namespace Kybernet.Agnhost.Netexec;

/// <summary>
/// netexec's HTTP endpoints, with upstream's paths, parameters, status codes and bodies. Paths match exactly;
/// any other path answers like "/" (Go's ServeMux sends everything unmatched to its "/" handler).
/// </summary>
public sealed class NetexecHandlers(NetexecState state)
{
    /// <summary>When the server started: Go's time.Now() carries the monotonic reading since then ("m=+…").</summary>
    private readonly long _started = Stopwatch.GetTimestamp();

    public Task<HttpResponse> HandleAsync(HttpRequest request)
    {
        Log.Line($"{request.Method} {request.Target} from {request.RemoteAddress}");
        return request.Path switch
        {
            "/clientip" => Done(HttpResponse.Ok(request.RemoteAddress)),
            "/header" => Done(Header(request)),
            "/dial" => DialAsync(request),
            "/echo" => Done(Echo(request)),
            "/exit" => ExitAsync(request),
            "/healthz" => Done(new HttpResponse(state.UdpReady ? 200 : 412, "")),
            "/readyz" => Done(Readyz()),
            "/hostname" or "/hostName" => Done(HttpResponse.Ok(HostName.Get())),
            "/redirect" => Done(Redirect(request)),
            "/shell" => ShellAsync(request),
            "/shutdown" => Done(new HttpResponse(200, "") { AfterSent = () => Exit(0) }),
            _ => Done(HttpResponse.Ok($"NOW: {Now()}")),
        };
    }

    private static Task<HttpResponse> Done(HttpResponse response) => Task.FromResult(response);

    /// <summary>The time as Go prints time.Now(): "2006-01-02 15:04:05.999999999 +0000 UTC m=+1.234567890".</summary>
    public string Now()
    {
        var now = DateTime.UtcNow;
        var fraction = (now.Ticks % TimeSpan.TicksPerSecond).ToString("0000000", CultureInfo.InvariantCulture).TrimEnd('0');
        var monotonic = Stopwatch.GetElapsedTime(_started).TotalSeconds.ToString("F9", CultureInfo.InvariantCulture);
        return $"{now:yyyy-MM-dd HH:mm:ss}{(fraction.Length > 0 ? "." + fraction : "")} +0000 UTC m=+{monotonic}";
    }

    private static HttpResponse Echo(HttpRequest request)
    {
        var message = request.Form("msg");
        var codeText = request.Form("code");
        if (codeText.Length == 0)
            return HttpResponse.Ok(message);
        if (!int.TryParse(codeText, out int code))
            return HttpResponse.Ok($"argument 'code' must be an integer or empty, got {Quote(codeText)}\n");
        if (code < 100 || code > 999)
            throw new ArgumentException($"invalid status code {code}");
        return new HttpResponse(code, message);
    }

    private static HttpResponse Header(HttpRequest request)
    {
        var key = request.Form("key");
        // Go moves Host out of a request's headers (into Request.Host), so upstream never finds it here.
        if (key.Length > 0)
            return HttpResponse.Ok(HttpServer.CanonicalHeaderName(key) == "Host" ? "" : request.Header(key));
        // Go's Request.Header: every header but Host, values grouped by canonical name, marshalled with sorted keys.
        var grouped = request.Headers
            .Where(h => h.Key != "Host")
            .GroupBy(h => h.Key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new KeyValuePair<string, IReadOnlyList<string>>(g.Key, g.Select(h => h.Value).ToList()));
        return HttpResponse.Ok(Json.ObjectOfLists(grouped));
    }

    private HttpResponse Readyz()
    {
        if (state.Terminating)
            return new HttpResponse(503, "shutting down");
        return state.UdpReady ? HttpResponse.Ok("ok") : new HttpResponse(412, "");
    }

    /// <summary>Go's http.Redirect: a relative location is taken against the request's directory; a small HTML body for GET.</summary>
    private static HttpResponse Redirect(HttpRequest request)
    {
        var location = request.Form("location");
        var codeText = request.Form("code");
        int code = 302;
        if (codeText.Length > 0 && !int.TryParse(codeText, out code))
            return HttpResponse.Ok($"argument 'code' must be an integer or empty, got {Quote(codeText)}\n");
        if (!location.Contains("://", StringComparison.Ordinal) && !location.StartsWith('/'))
            location = request.Path[..(request.Path.LastIndexOf('/') + 1)] + location;
        var body = request.Method is "GET" or "HEAD" ? $"<a href=\"{WebUtility.HtmlEncode(location)}\">{HttpResponse.ReasonPhrase(code)}</a>.\n\n" : "";
        var response = new HttpResponse(code, body, "text/html; charset=utf-8");
        response.Headers.Add(new("Location", location));
        return response;
    }

    private static async Task<HttpResponse> ShellAsync(HttpRequest request)
    {
        var command = request.Form("shellCommand");
        if (command.Length == 0)
            command = request.Form("cmd");
        var (output, error) = await ShellRunner.RunAsync(command);
        var fields = new List<KeyValuePair<string, string>>();
        if (error is not null)
            fields.Add(new("error", error));
        if (output.Length > 0)
            fields.Add(new("output", output));
        var json = Json.Object(fields);
        Log.Line($"Output: {json}");
        return HttpResponse.Ok(json);
    }

    private static async Task<HttpResponse> DialAsync(HttpRequest request)
    {
        var host = request.Form("host");
        var port = request.Form("port");
        var payload = request.Form("request");
        var protocol = request.Form("protocol");
        var triesText = request.Form("tries");
        int tries = 1;
        if (triesText.Length > 0 && !int.TryParse(triesText, out tries))
            return HttpResponse.Error(400, $"tries parameter is invalid. strconv.Atoi: parsing {Quote(triesText)}: invalid syntax");
        if (payload.Length == 0)
            return HttpResponse.Error(400, "request parameter not specified. <nil>");
        Func<IPEndPoint, string, Task<string>> dial;
        string network;
        switch (protocol.ToLowerInvariant())
        {
            case "" or "http":
                (dial, network) = (Dialer.HttpAsync, "tcp");
                break;
            case "udp":
                (dial, network) = (Dialer.UdpAsync, "udp");
                break;
            default:
                return HttpResponse.Error(400, $"unsupported protocol. {protocol}");
        }
        IPEndPoint target;
        try
        {
            target = await HostPort.ResolveAsync(network, host, port);
        }
        catch (ResolveException e)
        {
            return HttpResponse.Error(400, $"host and/or port param are invalid. {e.Message}");
        }

        var responses = new List<string>();
        var errors = new List<string>();
        string last = "";
        for (int i = 0; i < tries; i++)
        {
            try
            {
                last = await dial(target, payload);
                responses.Add(last);
            }
            catch (Exception e) when (e is DialException or HttpGetException)
            {
                last = "";
                errors.Add(e.Message);
            }
        }
        // As upstream: "responses" appears only when the last try answered something, "errors" when any failed.
        var output = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        if (errors.Count > 0)
            output.Add(new("errors", errors));
        if (last.Length > 0)
            output.Add(new("responses", responses));
        return HttpResponse.Ok(Json.ObjectOfLists(output));
    }

    /// <summary>
    /// /exit?code=N&amp;wait=D&amp;timeout=D: waits, answers, then exits with N. Upstream exits before answering when
    /// timeout is 0; we always answer first, so the caller sees a 200 rather than a dropped connection.
    /// </summary>
    private static async Task<HttpResponse> ExitAsync(HttpRequest request)
    {
        var waitText = request.Form("wait");
        var timeoutText = request.Form("timeout");
        var codeText = request.Form("code");
        var timeout = TimeSpan.Zero;
        var wait = TimeSpan.Zero;
        int code = 0;
        if (timeoutText.Length > 0 && !GoDuration.TryParse(timeoutText, out timeout))
            return HttpResponse.Ok($"argument 'timeout' must be a valid golang duration or empty, got {Quote(timeoutText)}\n");
        if (waitText.Length > 0 && !GoDuration.TryParse(waitText, out wait))
            return HttpResponse.Ok($"argument 'wait' must be a valid golang duration or empty, got {Quote(waitText)}\n");
        if (codeText.Length > 0 && !int.TryParse(codeText, out code))
            return HttpResponse.Ok($"argument 'code' must be an integer [0-127] or empty, got {Quote(codeText)}\n");
        Log.Line($"Will begin shutdown in {GoDuration.Format(wait)}, allowing {GoDuration.Format(timeout)} for connections to close, then will exit with {code}");
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        return new HttpResponse(200, "") { AfterSent = () => Exit(code) };
    }

    private static void Exit(int code)
    {
        Log.Line($"Exiting with {code}");
        Console.Out.Flush();
        Environment.Exit(code);
    }

    /// <summary>Go's %q for the plain strings we quote.</summary>
    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
