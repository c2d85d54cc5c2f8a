using k8s;
using k8s.Models;
using Kybernet.Controllers.GarbageCollection;
using Kybernet.Controllers.Namespaces;

namespace Kybernet.Controllers.Tests.Namespaces;

/// <summary>The namespace controller (with the garbage collector beside it, as in the controller manager) against a real API server.</summary>
public sealed class NamespaceControllerTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private RunningController _namespaces = null!;
    private RunningController _collector = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _namespaces = new RunningController(_server, (informers, log) => new NamespaceController(informers, new NamespaceControllerOptions { RecheckDelay = TimeSpan.FromMilliseconds(100) }, log));
        _collector = new RunningController(_server, (informers, log) => new GarbageCollector(informers, log: log));
    }

    public async Task DisposeAsync()
    {
        await _namespaces.DisposeAsync();
        await _collector.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private async Task<V1Namespace?> Find(string name)
    {
        try { return await Client.CoreV1.ReadNamespaceAsync(name); }
        catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 404) { return null; }
    }

    [Fact]
    public async Task A_deleted_namespace_is_emptied_of_every_kind_and_then_removed()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" } }, "team");
        await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "token" } }, "team");
        await Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "leader" }, Spec = new V1LeaseSpec() }, "team");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "elsewhere" } }, "default");

        // kubectl, as a user deletes a namespace: it returns once the deletion has started.
        _server.Kubectl.Ok("delete", "namespace", "team", "--wait=false");

        await TestApiServer.Eventually(async () => await Find("team") is null, "namespace team is removed");
        Assert.Empty((await Client.CoreV1.ListNamespacedConfigMapAsync("team")).Items);
        Assert.Empty((await Client.CoordinationV1.ListNamespacedLeaseAsync("team")).Items);
        Assert.Single((await Client.CoreV1.ListNamespacedConfigMapAsync("default")).Items, c => c.Name() == "elsewhere");
        Assert.Contains("namespace team: empty, removing finalizer kubernetes", _namespaces.Log);
    }

    [Fact]
    public async Task A_namespace_waits_in_Terminating_for_content_held_by_a_finalizer()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "held" } });
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "keep", Finalizers = ["example.com/keep"] } }, "held");

        await Client.CoreV1.DeleteNamespaceAsync("held");

        await TestApiServer.Eventually(async () => (await Client.CoreV1.ReadNamespacedConfigMapAsync("keep", "held")).Metadata.DeletionTimestamp is not null, "the held configmap is being deleted");
        var terminating = await Find("held");
        Assert.NotNull(terminating);
        Assert.Equal("Terminating", terminating.Status.Phase);
        Assert.Contains("kubernetes", terminating.Spec.Finalizers);
        // Creating in a terminating namespace is refused.
        var refused = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, "held"));
        Assert.Equal(403, (int)refused.Response.StatusCode);

        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "keep", "held");
        await TestApiServer.Eventually(async () => await Find("held") is null, "namespace held is removed once its last object has gone");
    }
}
