using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Kybernet.Agnhost.Http;

namespace Kybernet.Agnhost;

/// <summary>
/// agnhost liveness: an HTTP server on 8080 that is healthy for its first 10 seconds and unhealthy after (what
/// upstream's liveness-probe tests restart): /healthz answers 200 "ok", then 500 "error: SECONDS"; /started the time
/// since start; /redirect?loc= a 302 there; anything else 404.
/// </summary>
public static class LivenessCommand
{
    public const int Port = 8080;
    public static readonly TimeSpan HealthyFor = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync()
    {
        long started = Stopwatch.GetTimestamp();
        HttpServer server;
        try
        {
            server = HttpServer.Listen(Port, request =>
            {
                Log.Line($"{request.Method} {request.Target} from {request.RemoteAddress}");
                return Task.FromResult(Answer(request, Stopwatch.GetElapsedTime(started)));
            });
        }
        catch (SocketException e)
        {
            return Log.Fatal($"liveness: listen on port {Port}: {e.Message}");
        }
        await server.RunAsync();
        return 1;
    }

    public static HttpResponse Answer(HttpRequest request, TimeSpan elapsed)
    {
        switch (request.Path)
        {
            case "/started":
                return HttpResponse.Ok(GoDuration.Format(elapsed));
            case "/healthz":
                return elapsed > HealthyFor
                    ? new HttpResponse(500, $"error: {elapsed.TotalSeconds.ToString(CultureInfo.InvariantCulture)}")
                    : HttpResponse.Ok("ok");
            case "/redirect":
                var response = new HttpResponse(302, request.Method is "GET" or "HEAD" ? $"<a href=\"{System.Net.WebUtility.HtmlEncode(request.Form("loc"))}\">Found</a>.\n\n" : "", "text/html; charset=utf-8");
                response.Headers.Add(new("Location", request.Form("loc")));
                return response;
            default:
                return HttpResponse.Error(404, "404 page not found");
        }
    }
}
