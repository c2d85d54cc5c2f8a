using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Lifecycle;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Kybernet.ApiServer.Tests.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Lifecycle;

/// <summary>The Deleter over a real store, asking each kind's strategy what a delete does.</summary>
public sealed class DeleterTests : IAsyncLifetime
{
    private readonly TempStore _store = new();
    private ObjectStore _objects = null!;
    private ResourceCatalog _catalog = null!;
    private Deleter _deleter = null!;

    public async Task InitializeAsync()
    {
        await _store.InitializeAsync();
        _objects = new ObjectStore(_store.Store);
        _catalog = ResourceCatalog.Kubernetes(new ServiceAllocator(_store.Store));
        _deleter = new Deleter(_objects, _catalog);
    }

    public Task DisposeAsync() => _store.DisposeAsync();

    private ResourceDefinition Namespaces => _catalog.Namespaces.Resource;
    private ResourceDefinition ConfigMaps => _catalog.Find("", "v1", "configmaps")!;

    private Task<JsonObject> Put(ResourceDefinition r, string? ns, JsonObject obj) => _objects.CreateAsync(r, ns, NameOf(obj), obj);

    private static string NameOf(JsonObject obj) => Str(obj["metadata"]!["name"])!;

    [Fact]
    public async Task A_namespace_is_marked_terminating_then_goes_when_deleted_again_once_finalized()
    {
        await Put(Namespaces, null, Obj("""{"metadata":{"name":"team-a","uid":"u1"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"""));

        var marked = await _deleter.Delete(Namespaces, null, "team-a", DeleteOptions.Default, default);
        Assert.NotNull(marked["metadata"]!["deletionTimestamp"]);
        Assert.Equal("Terminating", Str(marked["status"]!["phase"]));

        // Deleting again while spec.finalizers hold it changes nothing.
        var again = await _deleter.Delete(Namespaces, null, "team-a", DeleteOptions.Default, default);
        Assert.Equal(marked["metadata"]!["resourceVersion"]!.ToJsonString(), again["metadata"]!["resourceVersion"]!.ToJsonString());

        // Finalized (what namespaces/NAME/finalize stores), then deleted again: gone.
        var finalized = _catalog.Namespaces.Finalize.ApplyTo(again, Obj("""{"spec":{"finalizers":[]}}"""));
        await _objects.UpdateAsync(Namespaces, null, "team-a", finalized, long.Parse(Str(again["metadata"]!["resourceVersion"])!));
        await _deleter.Delete(Namespaces, null, "team-a", DeleteOptions.Default, default);
        Assert.Null(await _objects.GetAsync(Namespaces, null, "team-a"));
    }

    [Fact]
    public async Task A_protected_namespace_is_refused_before_anything_is_read()
    {
        var e = await Assert.ThrowsAsync<ApiException>(() => _deleter.Delete(Namespaces, null, "kube-system", DeleteOptions.Default, default));
        Assert.Equal(403, e.Code);
    }

    [Fact]
    public async Task An_object_without_finalizers_goes_at_once_and_one_with_them_waits()
    {
        await Put(ConfigMaps, "default", Obj("""{"metadata":{"name":"plain","namespace":"default","uid":"u2"}}"""));
        await _deleter.Delete(ConfigMaps, "default", "plain", DeleteOptions.Default, default);
        Assert.Null(await _objects.GetAsync(ConfigMaps, "default", "plain"));

        await Put(ConfigMaps, "default", Obj("""{"metadata":{"name":"held","namespace":"default","uid":"u3","finalizers":["example.com/keep"]}}"""));
        var marked = await _deleter.Delete(ConfigMaps, "default", "held", DeleteOptions.Default, default);
        Assert.NotNull(marked["metadata"]!["deletionTimestamp"]);
        Assert.NotNull(await _objects.GetAsync(ConfigMaps, "default", "held"));
    }
}
