using System.Net;
using k8s;
using k8s.Models;
using Kybernet.ApiServer;
using Kybernet.ApiServer.Tests;
using Kybernet.Client;
using Kybernet.Store;
using Kybernet.Store.Sqlite;

namespace Kybernet.Controllers.Tests;

/// <summary>
/// A real Kybernet API server on 127.0.0.1 (a free port) over SQLite in a temporary directory, one per test (nodes are
/// cluster-wide, so tests sharing a server would see each other's), with a typed client and the real kubectl.
/// <see cref="RestartAsync"/> stops it and starts it again on the same port and store, dropping every connection.
/// </summary>
public sealed class TestApiServer : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly IKeyValueStore _store;
    private readonly List<IKubernetes> _clients = [];

    private TestApiServer(string directory, IKeyValueStore store, ApiServerHost host)
    {
        DataDirectory = directory;
        _store = store;
        Host = host;
        Client = NewClient();
        Kubectl = new Kubectl(host.KubeconfigPath, Path.Combine(directory, "home"));
    }

    public string DataDirectory { get; }
    public ApiServerHost Host { get; private set; }
    public string KubeconfigPath => Host.KubeconfigPath;

    /// <summary>The test's own client (controllers and managers under test get their own, from <see cref="NewClient"/>).</summary>
    public IKubernetes Client { get; }

    public Kubectl Kubectl { get; }

    public static async Task<TestApiServer> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"kyt-api-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var store = SqliteStore.Open(Path.Combine(directory, "store"));
        try
        {
            var host = await ApiServerHost.StartAsync(new ApiServerOptions { DataDirectory = directory, Listen = new IPEndPoint(IPAddress.Loopback, 0) }, store);
            return new TestApiServer(directory, store, host);
        }
        catch
        {
            await store.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// A client of its own, from admin.kubeconfig as a component would make it (or, for a controller, from
    /// controller-manager.kubeconfig, as `kybernet server` gives its controllers); disposed with the server.
    /// </summary>
    public IKubernetes NewClient(bool asControllerManager = false)
    {
        var client = KubeClient.FromKubeconfig(asControllerManager ? Host.ControllerManagerKubeconfigPath : KubeconfigPath);
        _clients.Add(client);
        return client;
    }

    /// <summary>Stops serving (every open watch breaks), then serves again on the same port over the same store.</summary>
    public async Task RestartAsync(Func<Task>? whileDown = null)
    {
        var port = Host.Url.Port;
        await Host.DisposeAsync();
        if (whileDown is not null)
            await whileDown();
        Host = await ApiServerHost.StartAsync(new ApiServerOptions { DataDirectory = DataDirectory, Listen = new IPEndPoint(IPAddress.Loopback, port) }, _store);
    }

    /// <summary>The store under the server, for what must happen below the API (compaction).</summary>
    public IKeyValueStore Store => _store;

    /// <summary>
    /// Runs <paramref name="work"/> against a second API server over the same store (own data directory and port), e.g.
    /// to change nodes while this one is down.
    /// </summary>
    public async Task WithSideServerAsync(Func<IKubernetes, Task> work)
    {
        var directory = Path.Combine(DataDirectory, "side");
        Directory.CreateDirectory(directory);
        await using var side = await ApiServerHost.StartAsync(new ApiServerOptions { DataDirectory = directory, Listen = new IPEndPoint(IPAddress.Loopback, 0) }, _store);
        using var client = KubeClient.FromKubeconfig(side.KubeconfigPath);
        await work(client);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        await Host.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }

    public Task<V1Node> CreateNodeAsync(string name, string? podCidr = null, IDictionary<string, string>? annotations = null) =>
        Client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Annotations = annotations },
            Spec = podCidr is null ? new V1NodeSpec() : new V1NodeSpec { PodCIDR = podCidr, PodCIDRs = [podCidr] },
        });

    public Task DeleteNodeAsync(string name) => Client.CoreV1.DeleteNodeAsync(name);

    /// <summary>Waits until <paramref name="condition"/> holds (bounded by <see cref="Patience"/>, polled).</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not within {Patience}: {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>Reads the nodes until <paramref name="done"/> holds for them (bounded by <see cref="Patience"/>); returns them.</summary>
    public async Task<IList<V1Node>> WaitForNodesAsync(Func<IList<V1Node>, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var nodes = (await Client.CoreV1.ListNodeAsync()).Items;
            if (done(nodes))
                return nodes;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not within {Patience}: {what}; nodes: {string.Join(", ", nodes.Select(n => $"{n.Name()}={n.Spec?.PodCIDR ?? "-"}"))}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until node <paramref name="name"/> has a podCIDR; returns it.</summary>
    public async Task<string> WaitForPodCidrAsync(string name)
    {
        var nodes = await WaitForNodesAsync(ns => ns.Any(n => n.Name() == name && n.Spec?.PodCIDR is not null), $"node {name} gets a podCIDR");
        return nodes.Single(n => n.Name() == name).Spec.PodCIDR;
    }
}
