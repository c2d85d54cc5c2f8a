using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kybernet.Store.Tests;

namespace Kybernet.ApiServer.Tests;

/// <summary>
/// Two `kybernet server` processes on one etcd (issue 11's proof of leader election): only the lease holder's
/// controllers act (its replication controller alone makes an RC's pods); SIGKILL the leader and the other takes over
/// within the lease duration and acts.
/// </summary>
public sealed partial class LeaderElectionServerTests(EtcdServer etcd) : IClassFixture<EtcdServer>, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"kyt-leaders-{Guid.NewGuid():N}");
    private readonly List<ServerProcess> _servers = [];

    public void Dispose()
    {
        foreach (var server in _servers)
            server.Dispose(); // SIGKILL by pid, if it still runs
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    /// <summary>A server with leases of 4 s renewed every 0.5 s (the defaults are 15 s and 2 s).</summary>
    private async Task<(ServerProcess Server, string DataDir)> StartAsync(string name)
    {
        var dataDir = Path.Combine(_root, name);
        var server = await ServerProcess.StartAsync(dataDir, ServerProcess.FreePort(),
            "--store", "etcd://" + new Uri(etcd.Endpoints).Authority,
            "--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms");
        _servers.Add(server);
        return (server, dataDir);
    }

    [GeneratedRegex(@"leader-election: (\S+): became leader")]
    private static partial Regex BecameLeader();

    private static async Task<string> LeaderIdentityAsync(ServerProcess server) =>
        BecameLeader().Match(await server.WaitForLineAsync(l => BecameLeader().IsMatch(l), "that it became leader")).Groups[1].Value;

    private static async Task<string?> HolderAsync(ApiClient api)
    {
        var (status, lease) = await api.Get("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager");
        return status == 200 ? lease["spec"]?["holderIdentity"]?.GetValue<string>() : null;
    }

    private static async Task<bool> HasDefaultAccountAsync(ApiClient api, string ns) =>
        (await api.Get($"/api/v1/namespaces/{ns}/serviceaccounts/default")).Status == 200;

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not within 30 s: {what}");
            await Task.Delay(100);
        }
    }

    private static async Task<int> PodCountAsync(ApiClient api) =>
        (await api.Get("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")).Body["items"]!.AsArray().Count;

    private static JsonObject ReplicationController(string name, int replicas) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ReplicationController",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["app"] = name },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "busybox" }) },
            },
        },
    };

    private static JsonObject Namespace(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject { ["name"] = name },
    };

    [Fact]
    public async Task Only_the_lease_holder_runs_controllers_and_the_other_server_takes_over_when_it_is_killed()
    {
        var (first, firstDir) = await StartAsync("a");
        var leader = await LeaderIdentityAsync(first);
        var (second, secondDir) = await StartAsync("b");
        using var viaFirst = new ApiClient(firstDir, first.Url);
        using var viaSecond = new ApiClient(secondDir, second.Url);
        await second.WaitForLineAsync(l => l.Contains($"is held by {leader}: waiting to take over", StringComparison.Ordinal), "that it waits for the leader");
        Assert.Equal(leader, await HolderAsync(viaSecond));

        // The RC's pods are made once, by the leader's replication controller alone.
        Assert.Equal(201, (await viaSecond.Post("/api/v1/namespaces/default/replicationcontrollers", ReplicationController("web", 2))).Status);
        await Eventually(async () => await PodCountAsync(viaSecond) == 2, "the leader makes the RC's 2 pods");
        await first.WaitForLineAsync(l => l.Contains("default/web: too few replicas (need 2, have 0), creating 2", StringComparison.Ordinal), "that its RC controller made them");
        Assert.Equal(201, (await viaSecond.Post("/api/v1/namespaces", Namespace("before"))).Status);
        await Eventually(() => HasDefaultAccountAsync(viaSecond, "before"), "the leader's serviceaccount controller makes the account");
        await first.WaitForLineAsync(l => l.Contains("namespace before: created ServiceAccount default", StringComparison.Ordinal), "that its controller made the account");
        Assert.False(second.Output.Any(l => l.Contains("became leader", StringComparison.Ordinal) || l.Contains(": started", StringComparison.Ordinal)), string.Join('\n', second.Output));

        _servers.Remove(first);
        first.Dispose(); // SIGKILL by its pid: the lease stays in its name until it expires
        var successor = await LeaderIdentityAsync(second);
        Assert.NotEqual(leader, successor);
        Assert.Equal(successor, await HolderAsync(viaSecond));
        Assert.Equal(2, await PodCountAsync(viaSecond)); // the successor found them and made none
        Assert.Equal(200, (await viaSecond.Send(HttpMethod.Patch, "/api/v1/namespaces/default/replicationcontrollers/web", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 3 } }, "application/merge-patch+json")).Status);
        await Eventually(async () => await PodCountAsync(viaSecond) == 3, "the new leader's RC controller makes the third pod");
        await second.WaitForLineAsync(l => l.Contains("default/web: too few replicas (need 3, have 2), creating 1", StringComparison.Ordinal), "that its RC controller made it");
        Assert.Equal(201, (await viaSecond.Post("/api/v1/namespaces", Namespace("after"))).Status);
        await Eventually(() => HasDefaultAccountAsync(viaSecond, "after"), "the new leader's serviceaccount controller makes the account");
        await second.WaitForLineAsync(l => l.Contains("namespace after: created ServiceAccount default", StringComparison.Ordinal), "that its controller made the account");

        // A clean stop hands the lease back (holder cleared) before the API stops serving, so a successor need not wait.
        using (var term = System.Diagnostics.Process.Start("kill", ["-TERM", second.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await term.WaitForExitAsync();
        await second.WaitForLineAsync(l => l.EndsWith($"{successor}: released lease kube-system/kube-controller-manager", StringComparison.Ordinal), "that it handed the lease back");
        await second.WaitForLineAsync(l => l.EndsWith("INFO  server: stopping", StringComparison.Ordinal), "that it stopped");
    }
}
