using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// Maps a request path to what serves it: discovery, OpenAPI, version and health endpoints, or a
/// resource verb, once the <see cref="Security.SecurityGate"/> let the request through. Every refusal is answered as a Kubernetes Status; every 500 is logged at Error with
/// its exception (and stack), since it is the server's fault, not the client's.
/// </summary>
public sealed class Router(ResourceCatalog catalog, Discovery discovery, OpenApi openApi, ResourceHandler resources, Security.SecurityGate gate, ILogger<Router> log)
{
    public const string GitVersion = "v1.32.4-kybernet";

    public async Task Route(HttpContext context)
    {
        try
        {
            // Who asks, and may they: checked once here, before anything is served.
            await gate.CheckAsync(context);
            await Dispatch(context, context.Request.Path.Value?.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries) ?? []);
        }
        catch (ApiException e)
        {
            // A refusal the server chose (4xx), or an error it named (5xx: an allocator range full...), which is logged.
            if (e.Code >= 500)
                log.LogError(e, "{Method} {Path} failed with {Status} {Reason}", context.Request.Method, PathAndQuery(context), e.Code, e.Reason);
            if (!context.Response.HasStarted)
                await JsonResponses.Write(context, e.Code, e.ToStatus());
        }
        catch (Exception e) when (e is OperationCanceledException && context.RequestAborted.IsCancellationRequested
            || e is ClientGoneException
            || e is IOException && (context.RequestAborted.IsCancellationRequested || context.Response.HasStarted))
        {
            // The client went away (a cancelled watch: HTTP/2 resets its stream, and the write fails with an IOException,
            // sometimes before RequestAborted says so; once the answer has started, an IOException is the client's
            // connection): there is no one to answer, and nothing failed here (the request log still records it).
            log.LogDebug("{Method} {Path}: the client went away ({Error})", context.Request.Method, PathAndQuery(context), e.Message);
        }
        catch (Exception e)
        {
            log.LogError(e, "{Method} {Path} failed with 500", context.Request.Method, PathAndQuery(context));
            if (!context.Response.HasStarted)
                await JsonResponses.Write(context, 500, new ApiException(500, "InternalError", $"Internal error occurred: {e.Message}").ToStatus());
        }
    }

    public static string PathAndQuery(HttpContext context) => context.Request.Path + context.Request.QueryString;

    private Task Dispatch(HttpContext context, string[] s) => s switch
    {
        ["version"] => JsonResponses.Write(context, 200, Version()),
        ["healthz" or "readyz" or "livez", ..] => Text(context, "ok"),
        ["openapi", "v2"] => openApi.V2(context),
        ["openapi", "v3"] => openApi.V3Index(context),
        ["openapi", "v3", .. var rest] => openApi.V3Document(context, string.Join('/', rest)),
        ["api"] => discovery.Core(context),
        ["api", "v1"] => discovery.Resources(context, "", "v1"),
        ["api", var version, .. var rest] => Resource(context, "", version, rest),
        ["apis"] => discovery.Groups(context),
        ["apis", var group] => discovery.OneGroup(context, group),
        ["apis", var group, var version] => discovery.Resources(context, group, version),
        ["apis", var group, var version, .. var rest] => Resource(context, group, version, rest),
        _ => throw new ApiException(404, "NotFound", "the server could not find the requested resource"),
    };

    private Task Resource(HttpContext context, string group, string version, string[] rest) =>
        RequestTarget.Parse(catalog, group, version, rest) is { } target
            ? resources.Handle(context, target)
            : throw new ApiException(404, "NotFound", "the server could not find the requested resource");

    /// <summary>What kubectl's version dispatcher reads: 1.32 runs its built-in 1.32 client.</summary>
    private static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "kybernet",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-11-27T00:00:00Z",
        ["goVersion"] = "go1.23.0",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    private static async Task Text(HttpContext context, string text)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }
}
