using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Kybernet.Kubelet.Logs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Server;

/// <summary>
/// The kubelet's API on the node's address, port 10250, HTTPS with the node's serving certificate: /healthz, /pods
/// (the pods bound here, as a PodList), /containerLogs/NS/POD/CONTAINER (what the API server's pods/log asks), and
/// /exec, /attach and /portForward (SPDY upgrades passed on to the runtime: <see cref="StreamingProxy"/>), and
/// /podProxy (HTTP to this node's pods: <see cref="PodProxy"/>). Only
/// the API server gets in (<see cref="ClientCertificateCheck"/>); anything else is answered 401 or 403 before a route.
/// </summary>
public sealed class KubeletServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly PodProxy _podProxy;

    private KubeletServer(WebApplication app, IPEndPoint bound, PodProxy podProxy) => (_app, Bound, _podProxy) = (app, bound, podProxy);

    /// <summary>Where it listens (the port is the bound one when 0 was asked).</summary>
    public IPEndPoint Bound { get; }

    public static async Task<KubeletServer> StartAsync(IPEndPoint listen, X509Certificate2 serving, X509Certificate2Collection clientCas,
        Func<IEnumerable<V1Pod>> pods, ContainerLogSource logs, StreamingProxy streaming, PodProxy podProxy, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var log = loggers.CreateLogger("kubelet-server");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.Replace(ServiceDescriptor.Singleton(loggers));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(listen, l =>
            {
                l.Protocols = HttpProtocols.Http1AndHttp2;
                l.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serving,
                    // Asked for, never required at the handshake: a request without one gets a 401 it can read.
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                });
            });
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            var verdict = ClientCertificateCheck.Check(context.Connection.ClientCertificate, clientCas, DateTime.UtcNow);
            if (!verdict.Allowed)
            {
                log.LogDebug("{Method} {Path} refused with {Status}: {Message}", context.Request.Method, context.Request.Path, verdict.Status, verdict.Message);
                await Text(context, verdict.Status, verdict.Message);
                return;
            }
            try
            {
                await RouteAsync(context, pods, logs, streaming, podProxy);
            }
            catch (RequestRefusedException e) when (!context.Response.HasStarted)
            {
                log.LogInformation("{Method} {Path} refused with {Status}: {Message}", context.Request.Method, context.Request.Path, e.Status, e.Message);
                await Text(context, e.Status, e.Message);
            }
            catch (ArgumentException e)
            {
                await Text(context, 400, e.Message);
            }
            catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
            {
                // The API server hung up (a follow ended by its client): nothing failed here.
            }
            catch (Exception e)
            {
                log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                if (!context.Response.HasStarted)
                    await Text(context, 500, $"internal error: {e.Message}");
            }
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        var bound = new IPEndPoint(listen.Address, new Uri(address.Replace("+", "localhost").Replace("*", "localhost")).Port);
        log.LogInformation("kubelet API listening on https://{Endpoint}", bound);
        return new KubeletServer(app, bound, podProxy);
    }

    private static Task RouteAsync(HttpContext context, Func<IEnumerable<V1Pod>> pods, ContainerLogSource logs, StreamingProxy streaming, PodProxy podProxy)
    {
        var path = context.Request.Path.Value?.Trim('/').Split('/') ?? [];
        return (context.Request.Method, path) switch
        {
            ("GET", ["healthz"]) => Text(context, 200, "ok"),
            ("GET", ["pods"]) => PodList(context, pods),
            ("GET", ["containerLogs", var ns, var pod, var container]) => ContainerLogs(context, logs, ns, pod, container),
            ("GET" or "POST", ["exec", var ns, var pod, var container]) => streaming.ExecAsync(context, ns, pod, container),
            ("GET" or "POST", ["attach", var ns, var pod, var container]) => streaming.AttachAsync(context, ns, pod, container),
            ("GET" or "POST", ["portForward", var ns, var pod]) => streaming.PortForwardAsync(context, ns, pod),
            (_, ["podProxy", var ns, var pod, var scheme, var port, ..]) => podProxy.ServeAsync(context, ns, pod, scheme, port),
            _ => Text(context, 404, "404 page not found"),
        };
    }

    private static async Task PodList(HttpContext context, Func<IEnumerable<V1Pod>> pods)
    {
        var list = new V1PodList { ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta(), Items = pods().ToList() };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(KubernetesJson.Serialize(list), context.RequestAborted);
    }

    private static async Task ContainerLogs(HttpContext context, ContainerLogSource logs, string ns, string pod, string container)
    {
        string? Query(string name) => context.Request.Query.TryGetValue(name, out var v) ? v.ToString() : null;
        var options = ContainerLogOptions.FromQuery(Query, DateTimeOffset.UtcNow);
        var found = await logs.FindAsync(ns, pod, container, Query("previous") is "true" or "1", context.RequestAborted);
        context.Response.ContentType = "text/plain";
        await context.Response.StartAsync(context.RequestAborted);
        await ContainerLogReader.CopyAsync(found.Path, options, context.Response.Body, found.IsRunning, context.RequestAborted);
    }

    private static async Task Text(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _podProxy.Dispose();
    }
}
