using k8s;
using k8s.Models;
using Kybernet.Controllers.ServiceAccounts;

namespace Kybernet.Controllers.Tests.ServiceAccounts;

/// <summary>The serviceaccounts controller against a real API server: every namespace has its "default" ServiceAccount.</summary>
public sealed class ServiceAccountsControllerTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private RunningController _controller = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _controller = new RunningController(_server, (informers, log) => new ServiceAccountsController(informers, log));
    }

    public async Task DisposeAsync()
    {
        await _controller.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private async Task<V1ServiceAccount?> Find(string ns)
    {
        try { return await Client.CoreV1.ReadNamespacedServiceAccountAsync("default", ns); }
        catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 404) { return null; }
    }

    [Fact]
    public async Task Every_namespace_gets_a_default_service_account_made_again_when_deleted()
    {
        await TestApiServer.Eventually(async () => await Find("default") is not null && await Find("kube-system") is not null, "the built-in namespaces have one");
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        await TestApiServer.Eventually(async () => await Find("team") is not null, "namespace team has one");

        var first = (await Find("team"))!.Uid();
        await Client.CoreV1.DeleteNamespacedServiceAccountAsync("default", "team");
        await TestApiServer.Eventually(async () => await Find("team") is { } again && again.Uid() != first, "it is made again after a delete");
        Assert.Contains("namespace team: created ServiceAccount default", _controller.Log);
    }
}
