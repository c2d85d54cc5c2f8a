using System.Net;
using Kybernet.Store.Tests;

namespace Kybernet.ApiServer.Tests;

/// <summary>The API server over a real etcd (`kybernet server --store etcd://...`), driven by kubectl.</summary>
public sealed class EtcdBackedServerTests(EtcdServer etcd) : IClassFixture<EtcdServer>, IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"kyt-apiserver-etcd-{Guid.NewGuid():N}");
    private ApiServerHost _server = null!;
    private Kybernet.Store.IKeyValueStore _store = null!;
    private Kubectl _k = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        _store = etcd.NewStore(out _);
        _server = await ApiServerHost.StartAsync(new ApiServerOptions { DataDirectory = _dataDir, Listen = new IPEndPoint(IPAddress.Loopback, 0) }, _store);
        _k = new Kubectl(_server.KubeconfigPath, Path.Combine(_dataDir, "home"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public void Apply_get_watch_and_delete_over_etcd()
    {
        _k.OkWith(Manifests.Namespace("on-etcd"), "create", "-f", "-");
        Assert.Contains("deployment.apps/web created", _k.OkWith(Manifests.Deployment("on-etcd", "web"), "apply", "-f", "-"));
        Assert.Contains("deployment.apps/web configured", _k.OkWith(Manifests.Deployment("on-etcd", "web", replicas: 4), "apply", "-f", "-"));
        Assert.Equal("4", _k.Ok("get", "deployment", "web", "-n", "on-etcd", "-o", "jsonpath={.spec.replicas}"));
        Assert.Matches(@"web\s+0/4", _k.Ok("get", "deployments", "-n", "on-etcd"));
        Assert.Contains("NotFound", _k.Run("get", "pod", "nope", "-n", "on-etcd").Stderr);
        Assert.Contains("deployment.apps \"web\" deleted", _k.Ok("delete", "deployment", "web", "-n", "on-etcd"));
    }
}
