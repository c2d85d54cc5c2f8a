using System.Net;
using System.Text.Json.Nodes;
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

    [Fact]
    public async Task Lists_page_over_etcd_and_a_compacted_snapshot_is_410()
    {
        _k.OkWith(Manifests.Namespace("paged"), "create", "-f", "-");
        using var api = new ApiClient(_dataDir, _server.Url);
        foreach (var i in Enumerable.Range(1, 5))
            Assert.Equal(201, (await api.Post("/api/v1/namespaces/paged/configmaps", new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject { ["name"] = $"cm-{i}" },
            })).Status);

        var chunked = _k.Run("get", "configmaps", "-n", "paged", "--chunk-size=2", "-v=6");
        Assert.True(chunked.ExitCode == 0, chunked.ToString());
        Assert.Equal(2, chunked.Stderr.Split('\n').Count(l => l.Contains("/namespaces/paged/configmaps?continue=", StringComparison.Ordinal)));
        Assert.Equal(5, chunked.Stdout.Split('\n').Count(l => l.StartsWith("cm-", StringComparison.Ordinal)));

        var (_, first) = await api.Get("/api/v1/namespaces/paged/configmaps?limit=2");
        Assert.Equal(3, first["metadata"]!["remainingItemCount"]!.GetValue<long>());
        var token = first["metadata"]!["continue"]!.GetValue<string>();
        Assert.Equal(200, (await api.Delete("/api/v1/namespaces/paged/configmaps/cm-3")).Status);
        var (_, second) = await api.Get($"/api/v1/namespaces/paged/configmaps?limit=2&continue={token}");
        Assert.Equal(["cm-3", "cm-4"], second["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));

        await _store.CompactAsync(await _store.CurrentRevisionAsync());
        var (status, expired) = await api.Get($"/api/v1/namespaces/paged/configmaps?limit=2&continue={token}");
        Assert.Equal(410, status);
        Assert.Equal("Expired", expired["reason"]!.GetValue<string>());
    }
}
