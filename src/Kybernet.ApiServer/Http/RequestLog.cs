using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// One Debug line per request once it is answered: method, path and query, status, duration and
/// user agent (`kybernet server --log-level debug`), like upstream's httplog. A watch is logged when
/// it ends. Nothing secret is in it: the bearer token travels in a header, which is not logged.
/// </summary>
public sealed class RequestLog(ILogger<RequestLog> log)
{
    public async Task Invoke(HttpContext context, Func<Task> next)
    {
        if (!log.IsEnabled(LogLevel.Debug))
        {
            await next();
            return;
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next();
        }
        finally
        {
            log.LogDebug("{Method} {Path} {Status} {Milliseconds:0.0}ms {UserAgent}",
                context.Request.Method, Router.PathAndQuery(context), context.Response.StatusCode,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, context.Request.Headers.UserAgent.ToString());
        }
    }
}
