using System.Net;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Lifecycle;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Security;
using Kybernet.ApiServer.Security.Authentication;
using Kybernet.ApiServer.Security.Authorization;
using Kybernet.ApiServer.Security.Rbac;
using Kybernet.ApiServer.Storage;
using Kybernet.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.ApiServer;

public sealed record ApiServerOptions
{
    public required string DataDirectory { get; init; }
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 6443);
    /// <summary>The first address of the service network, given to the "kubernetes" service.</summary>
    public string KubernetesServiceIp { get; init; } = "10.96.0.1";
    /// <summary>Extra names and addresses the serving certificate must cover.</summary>
    public IReadOnlyList<string> ExtraSans { get; init; } = [];

    /// <summary>
    /// The address the kubernetes service's endpoints name (upstream's --advertise-address); null:
    /// the listening address, or 127.0.0.1 when it listens on every address.
    /// </summary>
    public string? AdvertiseAddress { get; init; }
}

/// <summary>
/// The API server, start to finish: certificates and admin credentials in the data directory,
/// HTTPS with bearer-token authentication and RBAC (the <see cref="SecurityGate"/>), the router, the objects that always exist, and the loops
/// that run beside it (deletion controllers, service claim repair). One readable start-up sequence.
/// </summary>
public sealed class ApiServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private readonly Task[] _loops;

    private ApiServerHost(WebApplication app, CancellationTokenSource stopping, Task[] loops, string kubeconfigPath, string controllerKubeconfigPath, Uri url)
    {
        ControllerManagerKubeconfigPath = controllerKubeconfigPath;
        _app = app;
        _stopping = stopping;
        _loops = loops;
        KubeconfigPath = kubeconfigPath;
        Url = url;
    }

    /// <summary>DATA_DIR/admin.kubeconfig, for kubectl.</summary>
    public string KubeconfigPath { get; }

    /// <summary>DATA_DIR/controller-manager.kubeconfig: the identity system:kube-controller-manager, for the in-process controllers.</summary>
    public string ControllerManagerKubeconfigPath { get; }

    public Uri Url { get; }

    /// <summary>Where the cluster CA's certificate (PEM) is kept in a data directory: what the root-ca-cert-publisher puts in every namespace.</summary>
    public static string CaCertificatePath(string dataDirectory) => Path.Combine(dataDirectory, "pki", CertificateAuthority.CertificateFile);

    /// <param name="loggers">
    /// Where the server logs: every request at Debug, every 500 at Error with its stack, the
    /// failures of the loops beside it; ASP.NET Core's own logs go there too. None given: nowhere.
    /// </param>
    public static async Task<ApiServerHost> StartAsync(ApiServerOptions options, IKeyValueStore store, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        // 1. Identity: the CA, the serving certificate and the admin token, kept across restarts.
        var pki = Path.Combine(options.DataDirectory, "pki");
        var names = new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local" }
            .Concat(options.ExtraSans.Where(s => !IPAddress.TryParse(s, out _)));
        var addresses = new[] { IPAddress.Loopback, IPAddress.Parse(options.KubernetesServiceIp), options.Listen.Address }
            .Concat(options.ExtraSans.Select(s => IPAddress.TryParse(s, out var ip) ? ip : null).OfType<IPAddress>())
            .Where(a => !a.Equals(IPAddress.Any)).Distinct();
        var ca = CertificateAuthority.LoadOrCreate(pki, names, addresses);
        var token = AdminCredentials.LoadOrCreateToken(pki);
        var signingKey = SigningKey.LoadOrCreate(pki);

        // 2. The objects and the HTTP surface.
        var allocator = new ServiceAllocator(store);
        var catalog = ResourceCatalog.Kubernetes(allocator);
        var objects = new ObjectStore(store);
        var builder = WebApplication.CreateSlimBuilder();
        // The caller's factory, with its providers and levels, replaces the host's own.
        builder.Services.Replace(ServiceDescriptor.Singleton(loggers ?? NullLoggerFactory.Instance));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(ca.Server);
            });
        });
        builder.Services.AddSingleton(catalog).AddSingleton(objects).AddSingleton(store).AddSingleton(allocator)
            .AddSingleton<ResourceRegistry>().AddSingleton<Deleter>().AddSingleton<Discovery>().AddSingleton<OpenApi>().AddSingleton<Schemas.OpenApiDocuments>()
            .AddSingleton<ResourceHandler>().AddSingleton<Router>().AddSingleton<RequestLog>().AddSingleton<WatchShutdown>()
            .AddSingleton<ServiceClaimRepair>().AddSingleton(new Kubelets.KubeletClient(ca.Ca, ca.KubeletClient))
            .AddSingleton(_ => signingKey).AddSingleton<TokenIssuer>(_ => new TokenIssuer(signingKey)).AddSingleton<TokenAuthenticator>()
            .AddSingleton(services => new RequestAuthenticator(token, services.GetRequiredService<TokenAuthenticator>()))
            .AddSingleton<RbacCache>().AddSingleton<Authorizer>().AddSingleton<SecurityGate>().AddSingleton<BootstrapPolicyReconciler>();
        var app = builder.Build();
        // Before anything else follows ApplicationStopping, so that the watches end last (see WatchShutdown).
        app.Services.GetRequiredService<WatchShutdown>();
        var requests = app.Services.GetRequiredService<RequestLog>();
        app.Use((context, next) => requests.Invoke(context, () => next(context)));
        app.UseWebSockets(); // exec, attach and port-forward from kubectl 1.29+ (Kubelets/KubeletStreams)
        var router = app.Services.GetRequiredService<Router>();
        app.Run(router.Route);

        // 3. RBAC's default roles exist, and the authorizer knows them, before the first request is judged; then serve.
        var policy = app.Services.GetRequiredService<BootstrapPolicyReconciler>();
        await policy.ReconcileAsync(ct);
        var rbac = app.Services.GetRequiredService<RbacCache>();
        await rbac.SyncAsync(ct);
        await app.StartAsync(ct);
        // The bound port (the options may ask for 0: any free one).
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound.Replace("+", "localhost").Replace("*", "localhost")).Port;
        var host = options.Listen.Address.Equals(IPAddress.Any) ? "127.0.0.1" : options.Listen.Address.ToString();
        var url = new Uri($"https://{host}:{port}");

        // 4. What every cluster has from the start (the kubernetes service needs the bound port), before anyone is told where we are.
        var advertise = options.AdvertiseAddress ?? (options.Listen.Address.Equals(IPAddress.Any) ? "127.0.0.1" : options.Listen.Address.ToString());
        var builtIns = new BuiltInRepair(new Bootstrap(options.KubernetesServiceIp, advertise, port), objects, catalog,
            app.Services.GetRequiredService<ResourceRegistry>(), app.Services.GetRequiredService<ServiceClaimRepair>(),
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<BuiltInRepair>());
        await builtIns.RepairAsync(ct);

        // 5. Credentials for kubectl, written only once the server answers.
        var kubeconfigPath = Path.Combine(options.DataDirectory, "admin.kubeconfig");
        AdminCredentials.WriteKubeconfig(kubeconfigPath, AdminCredentials.Kubeconfig(url.ToString().TrimEnd('/'), ca.CaPem, token));
        // The in-process controllers' own identity (system:kube-controller-manager), not the admin's.
        var issuer = app.Services.GetRequiredService<TokenIssuer>();
        var controllerKubeconfig = Path.Combine(options.DataDirectory, "controller-manager.kubeconfig");
        AdminCredentials.WriteKubeconfig(controllerKubeconfig, AdminCredentials.Kubeconfig(url.ToString().TrimEnd('/'), ca.CaPem,
            issuer.IssueIdentityToken(UserInfo.ControllerManagerName).Token, UserInfo.ControllerManagerName));

        // 6. The loops beside the server, until it stops: the repair of service claims and of the built-in objects
        // (upstream's apiserver runs both), the RBAC cache's watch, and the reconciliation of the default roles and bindings.
        // Garbage collection and namespace deletion are controllers (Kybernet.Controllers), clients like any other.
        var repair = app.Services.GetRequiredService<ServiceClaimRepair>();
        var stopping = new CancellationTokenSource();
        Task[] loops =
        [
            Task.Run(() => repair.RunAsync(stopping.Token)),
            Task.Run(() => builtIns.RunAsync(stopping.Token)),
            Task.Run(() => rbac.RunAsync(stopping.Token)),
            Task.Run(() => policy.RunAsync(stopping.Token)),
        ];
        return new ApiServerHost(app, stopping, loops, kubeconfigPath, controllerKubeconfig, url);
    }

    /// <summary>Cancelled as soon as the server begins to stop (SIGTERM, Ctrl-C, dispose), for what runs beside it.</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>Waits until the server is stopped (Ctrl-C in `kybernet server`).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, ct);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        foreach (var loop in _loops)
        {
            try { await loop; }
            catch (OperationCanceledException)
            {
                // How a loop ends when it is stopped: cancelled in the middle of its work or its wait.
            }
        }
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

}
