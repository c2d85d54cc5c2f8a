using k8s;
using k8s.Models;
using Kybernet.Controllers.GarbageCollection;

namespace Kybernet.Controllers.Tests.GarbageCollection;

/// <summary>The garbage collector against a real API server (one per test), with owners and dependents of several kinds.</summary>
public sealed class GarbageCollectorTests : IAsyncLifetime
{
    private const string Ns = "default";
    private TestApiServer _server = null!;
    private RunningController _collector = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _collector = new RunningController(_server, (informers, log) => new GarbageCollector(informers, log: log));
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private Task<V1ConfigMap> ConfigMap(string name, params IKubernetesObject<V1ObjectMeta>[] owners) =>
        Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = name, OwnerReferences = owners.Length == 0 ? null : [.. owners.Select(o => Reference(o))] },
            Data = new Dictionary<string, string> { ["k"] = "v" },
        }, Ns);

    private static V1OwnerReference Reference(IKubernetesObject<V1ObjectMeta> owner, bool blocking = false) =>
        new() { ApiVersion = owner.ApiVersion ?? "v1", Kind = owner.Kind ?? "ConfigMap", Name = owner.Name(), Uid = owner.Uid(), BlockOwnerDeletion = blocking ? true : null };

    private async Task<V1ConfigMap?> Find(string name)
    {
        try { return await Client.CoreV1.ReadNamespacedConfigMapAsync(name, Ns); }
        catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 404) { return null; }
    }

    [Fact]
    public async Task Dependents_of_a_deleted_owner_are_deleted_in_the_background()
    {
        var owner = await ConfigMap("owner");
        owner.Kind = "ConfigMap";
        owner.ApiVersion = "v1";
        await ConfigMap("dependent-1", owner);
        // A dependent of another kind, and a dependent of a dependent: the whole tree goes.
        var secret = await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "dependent-2", OwnerReferences = [Reference(owner)] },
        }, Ns);
        secret.Kind = "Secret";
        secret.ApiVersion = "v1";
        await ConfigMap("grandchild", secret);

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("owner", Ns, new V1DeleteOptions { PropagationPolicy = "Background" });

        await TestApiServer.Eventually(async () => await Find("dependent-1") is null, "dependent-1 is collected");
        await TestApiServer.Eventually(async () => await Find("grandchild") is null, "the grandchild is collected after its owner the secret");
        Assert.DoesNotContain((await Client.CoreV1.ListNamespacedSecretAsync(Ns)).Items, s => s.Name() == "dependent-2");
        Assert.Contains("deleting configmaps default/dependent-1 (background): owner ConfigMap owner is gone", _collector.Log);
    }

    [Fact]
    public async Task A_dependent_with_an_owner_left_keeps_living_without_the_missing_reference()
    {
        var a = await ConfigMap("owner-a");
        var b = await ConfigMap("owner-b");
        foreach (var o in new[] { a, b }) { o.Kind = "ConfigMap"; o.ApiVersion = "v1"; }
        await ConfigMap("shared", a, b);

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("owner-a", Ns);

        await TestApiServer.Eventually(async () => (await Find("shared"))?.Metadata.OwnerReferences?.Count == 1, "the reference to owner-a is removed");
        Assert.Equal("owner-b", (await Find("shared"))!.Metadata.OwnerReferences.Single().Name);
    }

    [Fact]
    public async Task Foreground_deletion_removes_the_dependents_before_the_owner()
    {
        var owner = await ConfigMap("fg-owner");
        owner.Kind = "ConfigMap";
        owner.ApiVersion = "v1";
        // The dependent blocks its owner's deletion and is held by a finalizer of its own: the owner must wait for it.
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "fg-dependent", OwnerReferences = [Reference(owner, blocking: true)], Finalizers = ["example.com/hold"] },
        }, Ns);

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("fg-owner", Ns, new V1DeleteOptions { PropagationPolicy = "Foreground" });

        await TestApiServer.Eventually(async () => (await Find("fg-dependent"))?.Metadata.DeletionTimestamp is not null, "the dependent is being deleted");
        var waiting = await Find("fg-owner");
        Assert.NotNull(waiting);
        Assert.Contains(GarbageCollector.ForegroundFinalizer, waiting.Metadata.Finalizers);

        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "fg-dependent", Ns);
        await TestApiServer.Eventually(async () => await Find("fg-owner") is null, "the owner goes once its dependent has gone");
        Assert.Null(await Find("fg-dependent"));
    }

    [Fact]
    public async Task Orphaning_keeps_the_dependents_and_removes_only_the_reference()
    {
        var owner = await ConfigMap("orphan-owner");
        owner.Kind = "ConfigMap";
        owner.ApiVersion = "v1";
        var other = await ConfigMap("other-owner");
        other.Kind = "ConfigMap";
        other.ApiVersion = "v1";
        await ConfigMap("orphan", owner, other);

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("orphan-owner", Ns, new V1DeleteOptions { PropagationPolicy = "Orphan" });

        await TestApiServer.Eventually(async () => await Find("orphan-owner") is null, "the owner is deleted");
        var orphan = await Find("orphan");
        Assert.NotNull(orphan);
        Assert.Equal(["other-owner"], orphan.Metadata.OwnerReferences.Select(o => o.Name));
    }

    [Fact]
    public async Task An_owner_of_a_kind_the_server_does_not_serve_is_never_taken_for_gone()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "widget-part", OwnerReferences = [new V1OwnerReference { ApiVersion = "example.com/v1", Kind = "Widget", Name = "w", Uid = Guid.NewGuid().ToString() }] },
        }, Ns);
        var owner = await ConfigMap("plain-owner");
        owner.Kind = "ConfigMap";
        owner.ApiVersion = "v1";
        await ConfigMap("plain-part", owner);
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("plain-owner", Ns);

        // Once the collector has acted on the plain one, it has looked at the widget part too, and kept it.
        await TestApiServer.Eventually(async () => await Find("plain-part") is null, "the plain dependent is collected");
        await TestApiServer.Eventually(() => Task.FromResult(_collector.Log.Contains("owner Widget w has apiVersion example.com/v1, which the server does not serve")), "the widget part's problem is logged");
        Assert.NotNull(await Find("widget-part"));
    }

    [Fact]
    public async Task Foreground_deletion_releases_a_dependent_that_another_live_owner_keeps()
    {
        var a = await ConfigMap("fg-a");
        var b = await ConfigMap("fg-b");
        foreach (var o in new[] { a, b }) { o.Kind = "ConfigMap"; o.ApiVersion = "v1"; }
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "fg-shared", OwnerReferences = [Reference(a, blocking: true), Reference(b, blocking: true)] },
        }, Ns);

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("fg-a", Ns, new V1DeleteOptions { PropagationPolicy = "Foreground" });

        await TestApiServer.Eventually(async () => await Find("fg-a") is null, "the owner goes once the shared dependent no longer blocks it");
        var shared = await Find("fg-shared");
        Assert.NotNull(shared); // b still owns it
        Assert.Equal(["fg-b"], shared.Metadata.OwnerReferences.Select(o => o.Name));
    }

    [Fact]
    public async Task An_owner_waiting_in_the_foreground_goes_when_its_dependent_drops_the_reference()
    {
        var owner = await ConfigMap("wait-owner");
        owner.Kind = "ConfigMap";
        owner.ApiVersion = "v1";
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "wait-dependent", OwnerReferences = [Reference(owner, blocking: true)], Finalizers = ["example.com/hold"] },
        }, Ns);
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("wait-owner", Ns, new V1DeleteOptions { PropagationPolicy = "Foreground" });
        await TestApiServer.Eventually(async () => (await Find("wait-dependent"))?.Metadata.DeletionTimestamp is not null, "the dependent is being deleted");

        // The dependent lets go of its owner (its controller adopted it elsewhere, say): the owner must not wait for ever.
        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"ownerReferences":null}}""", V1Patch.PatchType.MergePatch), "wait-dependent", Ns);

        await TestApiServer.Eventually(async () => await Find("wait-owner") is null, "the owner goes once nothing blocks it");
        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "wait-dependent", Ns);
    }

    [Fact]
    public async Task Orphaning_removes_only_its_own_finalizer()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "kept-owner", Finalizers = ["example.com/keep"] },
        }, Ns);
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("kept-owner", Ns, new V1DeleteOptions { PropagationPolicy = "Orphan" });

        await TestApiServer.Eventually(async () => (await Find("kept-owner"))?.Metadata.Finalizers?.Contains(GarbageCollector.OrphanFinalizer) == false, "the orphan finalizer is removed");
        Assert.Equal(["example.com/keep"], (await Find("kept-owner"))!.Metadata.Finalizers);

        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "kept-owner", Ns);
        await TestApiServer.Eventually(async () => await Find("kept-owner") is null, "the owner goes with its last finalizer");
    }

    [Fact]
    public async Task Deleting_again_with_another_policy_switches_the_finalizer()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "switch", Finalizers = ["example.com/keep"] },
        }, Ns);
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("switch", Ns, new V1DeleteOptions { PropagationPolicy = "Foreground" });
        var switched = await Client.CoreV1.DeleteNamespacedConfigMapAsync("switch", Ns, new V1DeleteOptions { PropagationPolicy = "Orphan" });
        Assert.NotNull(switched);
        var now = (await Find("switch"))!;
        Assert.Contains(GarbageCollector.OrphanFinalizer, now.Metadata.Finalizers);
        Assert.DoesNotContain(GarbageCollector.ForegroundFinalizer, now.Metadata.Finalizers);
        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "switch", Ns);
    }
}
