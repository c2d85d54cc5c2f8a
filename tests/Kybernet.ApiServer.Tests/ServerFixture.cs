using System.Net;
using Kybernet.Client;
using Kybernet.Controllers;
using Kybernet.Store;
using Kybernet.Store.Sqlite;

namespace Kybernet.ApiServer.Tests;

/// <summary>
/// A real API server on 127.0.0.1 (a free port), over a SQLite store in a temporary data directory,
/// shared by one test class, with the controllers that finish deletions (garbage collector and
/// namespace controller, as `kybernet server` runs them); and the real kubectl pointed at it with a
/// fresh HOME, so kubectl's discovery cache starts empty.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"kyt-apiserver-{Guid.NewGuid():N}");
    public ApiServerHost Server { get; private set; } = null!;
    public Kubectl Kubectl { get; private set; } = null!;
    private IKeyValueStore? _store;
    private k8s.IKubernetes? _client;
    private ControllerManager? _controllers;

    /// <summary>The store under the server, for tests that need to reach below the API (compaction).</summary>
    public IKeyValueStore Store => _store!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        _store = SqliteStore.Open(Path.Combine(DataDirectory, "store"));
        Server = await ApiServerHost.StartAsync(new ApiServerOptions
        {
            DataDirectory = DataDirectory,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
        }, _store);
        Kubectl = new Kubectl(Server.KubeconfigPath, Path.Combine(DataDirectory, "home"));
        // As `kybernet server` runs them: as system:kube-controller-manager, with what RBAC gives it.
        _client = KubeClient.FromKubeconfig(Server.ControllerManagerKubeconfigPath);
        _controllers = ControllerManager.Start(_client, new ControllerManagerOptions { AllocateNodeCidrs = false });
    }

    public async Task DisposeAsync()
    {
        if (_controllers is not null)
            await _controllers.DisposeAsync();
        _client?.Dispose();
        await Server.DisposeAsync();
        if (_store is not null)
            await _store.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
